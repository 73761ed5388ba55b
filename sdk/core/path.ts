// Paths leave the client without query string and fragment (PRIVACY.md 5, EVENTS.md page_view).

export function cleanPath(path: string): string {
  return path.split(/[?#]/)[0] || '/'
}
