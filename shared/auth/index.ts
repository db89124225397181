// Sign-in: what handlers and other layers import.
export { authenticate, isBootstrapAdmin } from './authenticate';
export { type Caller, callerFromClaims } from './caller';
export { DEMO_TENANT_ID, DEMO_USERS, type DemoUser, type DemoUserKey, demoUser } from './demo-users';
export { devJwks, type MintOptions, mintDevToken } from './dev-issuer';
