/**
 * Errors raised while validating a GGUF file. They are thrown before llama.cpp ever sees the file, because
 * llama.cpp's own failures for the same problems are a bare "failed to load model" with the cause only in its log.
 * Every message names the file so a user who passed the wrong `model` path can see which one was read.
 */

/** Common base so callers can catch every GGUF validation problem with one `instanceof`. */
export class GgufError extends Error {
  readonly filePath: string;

  constructor(filePath: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.filePath = filePath;
  }
}

const GGUF_ADVICE =
  'A GGUF model file (starting with the bytes "GGUF") is expected: download a .gguf quantization of the model ' +
  '(for example a Q4_K_M or Q8_0 file from a "-GGUF" repository on Hugging Face), or convert the original ' +
  "weights with llama.cpp's convert_hf_to_gguf.py.";

/** The file does not start with the GGUF magic. `detail` says what the file looks like instead, when recognizable. */
export class NotGgufError extends GgufError {
  readonly detail: string | undefined;

  constructor(filePath: string, detail?: string) {
    super(filePath, `${filePath} is not a GGUF model${detail === undefined ? '' : ` (${detail})`}. ${GGUF_ADVICE}`);
    this.detail = detail;
  }
}

/** The file ends before its header, or before the tensor data its header announces (an interrupted download or copy). */
export class TruncatedGgufError extends GgufError {
  readonly fileSize: number;
  /** The size the header implies, when it was known at the point of failure. */
  readonly expectedSize: number | undefined;

  constructor(filePath: string, detail: string, fileSize: number, expectedSize?: number) {
    super(
      filePath,
      `${filePath} is a truncated GGUF file: ${detail}. The download or copy was probably interrupted; ` +
        'download the file again and compare its size with the published one.'
    );
    this.fileSize = fileSize;
    this.expectedSize = expectedSize;
  }
}

/** The GGUF version is one this reader (and the bundled llama.cpp) does not read. */
export class UnsupportedGgufVersionError extends GgufError {
  readonly version: number;

  constructor(filePath: string, version: number, detail?: string) {
    super(
      filePath,
      `${filePath} uses GGUF version ${version}, which is not supported (versions 2 and 3 are)` +
        `${detail === undefined ? '' : `: ${detail}`}. Download a file produced by a recent llama.cpp (GGUF v3).`
    );
    this.version = version;
  }
}
