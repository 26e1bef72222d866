/** The pixel work of the pipeline: plain sharp, no Azure Functions dependency. */
export { detectFormat } from './detectFormat';
export { decodeSource } from './decodeSource';
export { renderDerivative } from './renderDerivative';
export {
  decodeOncePays,
  prepareIntermediate,
  renderRenditionFromIntermediate,
  type Intermediate,
  type IntermediateResult,
  type IntermediateSource,
} from './intermediate';
export { coverBox, fitInside, intermediateSize, renditionExtent } from './geometry';
export { encodeRaw, renderRendition, type EncodeRaw } from './renderRendition';
export { makePlaceholder, makePlaceholderFromIntermediate, type PlaceholderResult } from './placeholder';
export { isResourceExhaustion } from './resourceExhaustion';
export { encodeAs } from './encode';
export { configureSharp, type SharpTuning } from './sharpTuning';
export {
  AVIF_OUTPUT,
  chooseEncoding,
  JPEG_OUTPUT,
  PNG_OUTPUT,
  resolveFormats,
  WEBP_OUTPUT,
} from './outputEncoding';
export { AVIF_SETTINGS, JPEG_SETTINGS, PNG_SETTINGS, WEBP_SETTINGS } from './encoderSettings';
export type {
  Box,
  DecodableFormat,
  DetectedFormat,
  EncodedDerivative,
  FormatResult,
  OutputEncoding,
  RawPixels,
  RenderedDerivative,
  RenderResult,
  RenditionResult,
  SourceLimits,
  UnsupportedFormat,
} from './types';
