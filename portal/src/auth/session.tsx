// Who is signed in, and how their tokens are had: the dev issuer's "sign in as" locally, MSAL in
// production. Pages read the session through useSession().
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, setTokenSource, V1 } from '../api/client';
import { loadPortalConfig, type PortalConfig } from './config';
import { type DevChoice, devToken, saveDevChoice, savedDevChoice } from './dev-sign-in';

export interface Me {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface Session {
  me: Me;
  /** Signed in with the dev issuer's MFA box ticked (dev sign-in only). */
  mfa: boolean | undefined;
  /** May manage PIM (admin pages), may read everyone's audit (readers too). */
  isAdmin: boolean;
  canReadAudit: boolean;
  signOut(): void;
}

interface SessionState {
  config: PortalConfig | undefined;
  session: Session | undefined;
  loading: boolean;
  error: string | undefined;
  signInAsDemoUser(choice: DevChoice): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

async function allowed(path: string): Promise<boolean> {
  try {
    await api(path);
    return true;
  } catch {
    return false;
  }
}

/** The signed-in user and what they may see, once a token source is in place. */
async function describeCaller(): Promise<Pick<Session, 'me' | 'isAdmin' | 'canReadAudit'>> {
  const [me, isAdmin, canReadAudit] = await Promise.all([
    api<Me>(`${V1}/me`),
    allowed(`${V1}/grantConnectors`),
    allowed(`${V1}/auditLogs/directoryAudits?$top=1`),
  ]);
  return { me, isAdmin, canReadAudit };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<PortalConfig>();
  const [session, setSession] = useState<Session>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();

  const signOutDev = useCallback(() => {
    saveDevChoice(undefined);
    setTokenSource(undefined);
    setSession(undefined);
  }, []);

  const startDev = useCallback(
    async (choice: DevChoice) => {
      setTokenSource(() => devToken(choice));
      const caller = await describeCaller();
      setSession({ ...caller, mfa: choice.mfa, signOut: signOutDev });
    },
    [signOutDev],
  );

  useEffect(() => {
    (async () => {
      try {
        const cfg = await loadPortalConfig();
        setConfig(cfg);
        const saved = cfg.devSignIn ? savedDevChoice() : undefined;
        if (saved) {
          await startDev(saved);
        } else if (cfg.msal) {
          const { resumeMsal } = await import('./msal');
          const msal = await resumeMsal(cfg.msal);
          if (msal) {
            setTokenSource(() => msal.token());
            const caller = await describeCaller();
            setSession({ ...caller, mfa: undefined, signOut: () => void msal.signOut() });
          }
        }
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        setLoading(false);
      }
    })();
  }, [startDev]);

  const signInAsDemoUser = useCallback(
    async (choice: DevChoice) => {
      saveDevChoice(choice);
      await startDev(choice);
    },
    [startDev],
  );

  return (
    <SessionContext.Provider value={{ config, session, loading, error, signInAsDemoUser }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSessionState outside SessionProvider');
  return state;
}

/** The signed-in session (pages render only when there is one). */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('useSession without a signed-in user');
  return session;
}
