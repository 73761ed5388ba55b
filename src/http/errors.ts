// Every HTTP error of Veil as one typed value, mapped to a status and a JSON body in one place
// (STYLE.md 2). Messages are written for the developer reading the response.
export type HttpStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 503

export class HttpError extends Error {
  override name = 'HttpError'
  constructor(
    readonly status: HttpStatus,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export const badRequest = (message: string) => new HttpError(400, message)
