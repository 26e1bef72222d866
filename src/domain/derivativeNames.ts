/**
 * Derivative names keep the source's virtual directory so two users' `cat.jpg` never collide:
 * `users/42/cat.jpg` + `thumb` + `jpg` -> `users/42/cat_thumb.jpg`.
 */
export function derivativeBlobName(sourceBlobName: string, label: string, extension: string): string {
  const slash = sourceBlobName.lastIndexOf('/');
  const dir = sourceBlobName.slice(0, slash + 1);
  const file = sourceBlobName.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  // A leading dot (".hidden") is part of the name, not an extension.
  const stem = dot > 0 ? file.slice(0, dot) : file;
  return `${dir}${stem}_${label}.${extension}`;
}
