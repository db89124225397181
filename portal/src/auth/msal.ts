// Production sign-in: MSAL.js, authorization code flow with PKCE, by redirect. Loaded only when the
// deployment has a portal app registration, so local use never downloads it.
import type { AccountInfo, PublicClientApplication } from '@azure/msal-browser';
import type { MsalSettings } from './config';

export interface MsalSession {
  account: AccountInfo;
  token(): Promise<string>;
  signOut(): Promise<void>;
}

let instance: Promise<PublicClientApplication> | undefined;

async function client(settings: MsalSettings): Promise<PublicClientApplication> {
  instance ??= (async () => {
    const { PublicClientApplication } = await import('@azure/msal-browser');
    const pca = new PublicClientApplication({
      auth: {
        clientId: settings.clientId,
        authority: settings.authority,
        redirectUri: `${location.origin}/`,
      },
      cache: { cacheLocation: 'sessionStorage' },
    });
    await pca.initialize();
    return pca;
  })();
  return instance;
}

/** Finishes a redirect back from the sign-in page, or finds the account already signed in. */
export async function resumeMsal(settings: MsalSettings): Promise<MsalSession | undefined> {
  const pca = await client(settings);
  const result = await pca.handleRedirectPromise();
  const account = result?.account ?? pca.getActiveAccount() ?? pca.getAllAccounts()[0];
  if (!account) return undefined;
  pca.setActiveAccount(account);
  const scopes = [settings.apiScope];
  return {
    account,
    async token() {
      try {
        return (await pca.acquireTokenSilent({ scopes, account })).accessToken;
      } catch {
        // The session needs the user again (expired, consent, MFA): the page navigates away.
        await pca.acquireTokenRedirect({ scopes, account });
        throw new Error('Signing in again…');
      }
    },
    signOut: () => pca.logoutRedirect({ account, postLogoutRedirectUri: `${location.origin}/` }),
  };
}

export async function signInWithMsal(settings: MsalSettings): Promise<void> {
  const pca = await client(settings);
  await pca.loginRedirect({ scopes: [settings.apiScope] });
}
