import { ApiError } from '../api/client';

/** Hands a file to the browser as a download. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Saves the file of an openapi-fetch answer asked with `parseAs: 'blob'` under the name its
 * Content-Disposition gives (else `fallback`); a failure becomes an ApiError with the problem.
 */
export async function download(
  p: Promise<{ data?: unknown; error?: unknown; response: Response }>,
  fallback: string,
): Promise<string> {
  const r = await p;
  if (!r.response.ok) {
    let problem = {};
    try {
      problem = JSON.parse(await (r.error instanceof Blob ? r.error.text() : Promise.resolve(JSON.stringify(r.error ?? {}))));
    } catch {
      // not JSON
    }
    throw new ApiError(r.response.status, problem);
  }
  const name = /filename="?([^";]+)"?/.exec(r.response.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
  saveBlob(r.data as Blob, name);
  return name;
}
