// The CLI's bundle and its chunks are in cli/.
import './cli/index.js';
