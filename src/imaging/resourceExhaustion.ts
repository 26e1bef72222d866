/**
 * How libvips and its codecs say they ran out of memory or threads. These depend on the load on the worker,
 * not on the file: the same bytes decode on a retry, so they must never become a permanent `corrupt-image`.
 */
const RESOURCE_EXHAUSTION: readonly RegExp[] = [
  // libvips vips_tracked_malloc / aligned alloc: "out of memory --- size == 512MB"; libpng, libspng, nsgif.
  /\bout of memory\b/i,
  // libjpeg(-turbo) JERR_OUT_OF_MEMORY: "Insufficient memory (case 4)".
  /\binsufficient memory\b/i,
  // strerror(ENOMEM) after a failed mmap/malloc: "Cannot allocate memory".
  /\bcannot allocate\b/i,
  // libheif heif_error_Memory_allocation_error; C++ allocation failure surfacing through sharp.
  /\bmemory allocation (?:error|failed)\b/i,
  /\bbad_alloc\b/,
  // libvips vips_g_thread_new: "unable to create thread"; GLib g_thread_try_new: "Error creating thread: …".
  /\bunable to create thread\b/i,
  /\berror creating thread\b/i,
  // strerror(EAGAIN) from pthread_create when the process is at its thread or memory limit.
  /\bresource temporarily unavailable\b/i,
];

/** Whether a libvips/sharp error message reports exhausted memory or threads (transient) rather than bad data. */
export function isResourceExhaustion(message: string): boolean {
  return RESOURCE_EXHAUSTION.some((pattern) => pattern.test(message));
}
