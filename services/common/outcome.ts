import { StorageUnavailable, VersionConflict } from '../san/storage';

/** FHIR R4 IssueType codes the apps answer with. */
export type IssueCode =
  | 'invalid'
  | 'business-rule'
  | 'conflict'
  | 'multiple-matches'
  | 'not-found'
  | 'not-supported'
  | 'too-long'
  | 'transient'
  | 'exception';

export interface Issue {
  severity: 'error';
  code: IssueCode;
  diagnostics: string;
  /** Where in the request the problem is (a body field path or a query parameter). */
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: Issue[];
}

export const operationOutcome = (issues: Issue[]): OperationOutcome => ({ resourceType: 'OperationOutcome', issue: issues });

/** A refusal the apps mean: its status, issue code and message reach the client as they are. */
export class HttpError extends Error {
  readonly issues: Issue[];
  readonly headers: Record<string, string>;
  constructor(
    readonly status: number,
    code: IssueCode,
    message: string,
    options: { issues?: Issue[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.issues = options.issues ?? [{ severity: 'error', code, diagnostics: message }];
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string) => new HttpError(400, 'invalid', message);
export const notFound = (message: string) => new HttpError(404, 'not-found', message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
/** 422: well-formed, but the domain cannot take it (a wrong NHS number, an unknown slot). */
export const unprocessable = (message: string, code: IssueCode = 'business-rule') => new HttpError(422, code, message);

export interface ErrorReply {
  status: number;
  body: OperationOutcome;
  headers: Record<string, string>;
}

/** Every error an app can meet, mapped once to its HTTP answer. */
export function errorReply(err: unknown): ErrorReply {
  if (err instanceof HttpError) return { status: err.status, body: operationOutcome(err.issues), headers: err.headers };
  if (err instanceof VersionConflict) {
    return reply(409, 'conflict', `a concurrent write won: ${err.message}`);
  }
  if (err instanceof StorageUnavailable) {
    // The client must know whether to count the write as possibly applied (Jepsen's `info`).
    return reply(503, 'transient', `storage unavailable: ${err.message}`, {
      'x-blackstart-indeterminate': String(err.indeterminate),
    });
  }
  return reply(500, 'exception', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

function reply(status: number, code: IssueCode, diagnostics: string, headers: Record<string, string> = {}): ErrorReply {
  return { status, body: operationOutcome([{ severity: 'error', code, diagnostics }]), headers };
}
