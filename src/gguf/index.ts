export { GgufError, NotGgufError, TruncatedGgufError, UnsupportedGgufVersionError } from './errors.js';
export {
  encodeGgufHeader,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_TENSOR_TYPES,
  GGUF_VERSION,
  GgufValue,
  tensorByteSize,
  tensorElementCount,
  writeGgufFile,
  type GgufContent,
  type GgufMetadataValue,
  type GgufTensor,
  type GgufTensorData,
  type GgufTensorType
} from './GgufWriter.js';
export { GgufArraySummary, readGgufHeader, type GgufHeader, type ReadGgufHeaderOptions } from './readGgufHeader.js';
export {
  buildTextChainModel,
  splitIntoChainPieces,
  TEXT_CHAIN_CONTEXT_LENGTH,
  writeTextChainModel,
  type TextChainModelFile,
  type TextChainModelOptions
} from './textChainModel.js';
export {
  buildRandomLlamaModel,
  estimateRandomLlamaModelBytes,
  writeRandomLlamaModel,
  type RandomLlamaModelFile,
  type RandomLlamaModelOptions,
  type RandomModelWeightType
} from './randomModel.js';
export { CHATML_TEMPLATE } from './chatmlTokenizer.js';
