// Errors the server answers with, in OpenAI's error shape, so clients show their message.
import type { ErrorBody } from '../model/openai-wire';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get type(): string {
    if (this.status === 401) return 'authentication_error';
    if (this.status === 404) return 'not_found_error';
    if (this.status === 405) return 'invalid_request_error';
    if (this.status >= 500) return 'server_error';
    return 'invalid_request_error';
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 about one request parameter, named as a path (`messages[2].content`). */
export function badParam(param: string, message: string, code: string | null = null): HttpError {
  return new HttpError(400, `${param}: ${message}`, param, code);
}
