import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, call, session, type Schemas } from '../api/client';

// Who is signed in, and what they may do. The server stays the judge of every request; this only
// decides what to show.

const TOKEN_KEY = 'stoa.admin.token';

export interface Session {
  me: Schemas['Me'] | undefined;
  loading: boolean;
  error: ApiError | null;
  /** The server ended the session (expired, revoked, signed out elsewhere). */
  expired: boolean;
  can: (perm: string) => boolean;
  /** Take over a session the server answered (password, second factor, invitation, SSO). */
  signedIn: (resp: Schemas['LoginResponse']) => Promise<void>;
  signOut: () => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

/** Restores a session token kept for this browser tab (bearer sessions). */
export function restoreSession() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  if (t) session.setBearer(t);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [expired, setExpired] = useState(false);
  const me = useQuery({
    queryKey: ['me'],
    queryFn: () => call(api.GET('/me')),
    retry: false,
    staleTime: 30_000,
  });

  useEffect(
    () =>
      session.onExpired(() => {
        // Only a session that was signed in can end; a 401 while signed out is the normal state.
        if (!qc.getQueryData(['me'])) return;
        sessionStorage.removeItem(TOKEN_KEY);
        session.setBearer(null);
        setExpired(true);
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
        void qc.resetQueries({ queryKey: ['me'] });
      }),
    [qc],
  );

  useEffect(() => session.onConsentRequired(() => void qc.resetQueries({ queryKey: ['me'] })), [qc]);

  const signedIn = useCallback(
    async (resp: Schemas['LoginResponse']) => {
      sessionStorage.setItem(TOKEN_KEY, resp.token);
      session.setBearer(resp.token);
      setExpired(false);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      await qc.invalidateQueries({ queryKey: ['me'] });
    },
    [qc],
  );

  const signOut = useCallback(async () => {
    try {
      await call(api.POST('/auth/logout'));
    } catch {
      // already signed out
    }
    sessionStorage.removeItem(TOKEN_KEY);
    session.setBearer(null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    await qc.resetQueries({ queryKey: ['me'] });
  }, [qc]);

  const value = useMemo<Session>(() => {
    const perms = new Set(me.data?.permissions ?? []);
    const err = me.error instanceof ApiError ? me.error : me.error ? new ApiError(0, { detail: String(me.error) }) : null;
    return {
      me: me.data,
      loading: me.isLoading,
      error: err,
      expired,
      can: (p) => perms.has(p),
      signedIn,
      signOut,
    };
  }, [me.data, me.isLoading, me.error, expired, signedIn, signOut]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
