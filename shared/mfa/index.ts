// Public surface of MFA: token freshness, TOTP authenticators, and their errors.
export * from './errors';
export { createSecretBox, parseKey, type SecretBox, secretBox } from './secret-box';
export {
  DEFAULT_MFA_MAX_AGE_MINUTES,
  hasFreshMfa,
  MFA_CLOCK_SKEW_MINUTES,
  type TokenMfaClaims,
} from './token-mfa';
export { TOTP_ISSUER } from './totp-code';
export {
  confirmTotp,
  deleteTotp,
  enrolTotp,
  hasActiveTotp,
  type TotpEnrolment,
  type TotpPolicy,
  type TotpPrincipal,
  TotpService,
  type TotpServiceOptions,
  type VerifyTotpResult,
  verifyTotp,
} from './totp-service';
