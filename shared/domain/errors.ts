// Typed errors of the domain, storage and service layers. Each carries the HTTP status and Graph
// error code it stands for, so the HTTP layer maps all of them with one generic mapper and this
// layer never imports HTTP code.

export interface ErrorDetail {
  target: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    /** Extra response headers (Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Input that parsed but makes no sense (e.g. an end before the start). */
export class ValidationError extends AppError {
  constructor(message: string, details: readonly ErrorDetail[] = [], code = 'BadRequest') {
    super(400, code, message, details);
  }
}

/** Graph uses `Request_ResourceNotFound` for directory objects and `ResourceNotFound` elsewhere. */
export class NotFoundError extends AppError {
  constructor(
    message = 'The requested resource does not exist.',
    code: 'ResourceNotFound' | 'Request_ResourceNotFound' = 'ResourceNotFound',
  ) {
    super(404, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Insufficient privileges to complete the operation.') {
    super(403, 'Authorization_RequestDenied', message);
  }
}

/** A write lost a race (the row appeared or changed since it was read): re-read and retry. */
export class ConflictError extends AppError {
  constructor(message = 'The resource was changed concurrently; retry the request.', code = 'Conflict') {
    super(409, code, message);
  }
}

/** Too many attempts (wrong codes, say): try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'TooManyRequests', message, [], {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}

/** Storage (or another dependency) cannot be reached now; the call changed nothing it reports. */
export class UnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable; retry shortly.', retryAfterSeconds = 5) {
    super(503, 'ServiceUnavailable', message, [], { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** The caller's If-Match ETag is stale: the row changed since the caller read it. */
export class PreconditionFailedError extends AppError {
  constructor(
    message = 'The resource was changed since it was read; read it again and retry with the new ETag.',
  ) {
    super(412, 'PreconditionFailed', message);
  }
}

/** Graph's rule names, as they appear in `RoleAssignmentRequestPolicyValidationFailed` messages. */
export type PolicyRuleFailure = 'ExpirationRule' | 'JustificationRule' | 'TicketingRule' | 'MfaRule';

/** What the policy would accept, for messages that say the fix. */
export interface PolicyHints {
  /** The rule's maximum duration (ISO 8601, e.g. PT8H). */
  maximumDuration?: string;
  /** Whether the rule requires an end (no permanent assignment). */
  expirationRequired?: boolean;
}

/**
 * A request broke its role's (or group's) policy. The message starts as Graph's does (the failed
 * rules as a JSON list, which clients parse) and then says, rule by rule, what would pass.
 */
export class PolicyValidationError extends AppError {
  constructor(
    readonly failedRules: readonly PolicyRuleFailure[],
    hints: PolicyHints = {},
  ) {
    const fixes = failedRules.map((rule) => ({ target: rule, message: describeFailure(rule, hints) }));
    super(
      400,
      'RoleAssignmentRequestPolicyValidationFailed',
      `The following policy rules failed: ${JSON.stringify(failedRules)}. ${fixes.map((f) => `${f.target}: ${f.message}`).join(' ')}`,
      fixes,
    );
  }
}

function describeFailure(rule: PolicyRuleFailure, hints: PolicyHints): string {
  switch (rule) {
    case 'ExpirationRule': {
      const max = hints.maximumDuration;
      if (!max)
        return 'The requested duration is not allowed by the policy (too long, or permanent where an end is required).';
      const permanent = hints.expirationRequired === false ? '' : ' and requires an end';
      return `The policy allows at most ${max}${permanent}: ask for ${max} or less (scheduleInfo.expiration).`;
    }
    case 'JustificationRule':
      return 'The policy requires a justification: give one in `justification`.';
    case 'TicketingRule':
      return 'The policy requires ticket information: give `ticketInfo.ticketNumber` (and `ticketInfo.ticketSystem`).';
    case 'MfaRule':
      return 'The policy requires multifactor authentication: sign in again with MFA, or enrol an authenticator (POST /api/v1.0/me/authenticators/totp) and verify its code.';
  }
}

/** Removing this assignment would leave the tenant without an active holder of a protected role. */
export class LastAdministratorError extends AppError {
  constructor(roleDisplayName: string) {
    super(
      400,
      'LastActiveAdministratorAssignment',
      `This is the last active ${roleDisplayName} assignment; assign the role to someone else before removing it.`,
    );
  }
}
