/** The pixel work of the pipeline: plain sharp, no Azure Functions dependency. */
export { detectFormat } from './detectFormat';
export { renderDerivative } from './renderDerivative';
export {
  decodeOncePays,
  fitInside,
  prepareIntermediate,
  renderFromIntermediate,
  type Intermediate,
  type IntermediateResult,
  type IntermediateSource,
} from './intermediate';
export { isResourceExhaustion } from './resourceExhaustion';
export { encodeAs } from './encode';
export { configureSharp, type SharpTuning } from './sharpTuning';
export { chooseEncoding, JPEG_OUTPUT, PNG_OUTPUT, WEBP_OUTPUT } from './outputEncoding';
export { JPEG_SETTINGS, PNG_SETTINGS, WEBP_SETTINGS } from './encoderSettings';
export type {
  Box,
  DecodableFormat,
  DetectedFormat,
  OutputEncoding,
  RenderedDerivative,
  RenderResult,
  SourceLimits,
  UnsupportedFormat,
} from './types';
