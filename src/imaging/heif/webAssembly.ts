/**
 * The two calls of the WebAssembly JS API used here. Node provides the global, but this project compiles
 * without the DOM typings that declare it, and @types/node names `WebAssembly.Module` without declaring it.
 */
export interface WasmModule {
  /** Opaque: a compiled module, cloneable to worker threads. */
  readonly __brand?: 'WebAssembly.Module';
}

export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => object;
}

export function webAssembly(): WasmApi {
  return (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
}
