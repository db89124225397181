// How this deployment signs people in (GET /api/portal/config, anonymous).
import { api } from '../api/client';

export interface MsalSettings {
  clientId: string;
  authority: string;
  apiScope: string;
}

export interface PortalConfig {
  /** The dev issuer is on: offer "sign in as" a demo user. Never in production. */
  devSignIn: boolean;
  msal: MsalSettings | null;
}

export const loadPortalConfig = () => api<PortalConfig>('/api/portal/config', { anonymous: true });

export interface DemoUser {
  key: string;
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string;
  persona: string;
}

export const loadDemoUsers = async () =>
  (await api<{ value: DemoUser[] }>('/api/dev-issuer/users', { anonymous: true })).value;
