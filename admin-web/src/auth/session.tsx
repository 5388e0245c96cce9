import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, call, session, type Schemas } from '../api/client';

// Who is signed in, and what they may do. The session lives in an HttpOnly, SameSite=Strict
// cookie the console never sees; it keeps only the session's CSRF token, in memory, and sends it
// with every state-changing request. The server stays the judge of every request; this only
// decides what to show.

export interface Session {
  me: Schemas['Me'] | undefined;
  loading: boolean;
  error: ApiError | null;
  /** The server ended the session (expired, revoked, signed out elsewhere). */
  expired: boolean;
  can: (perm: string) => boolean;
  /** Take over a session the server answered (password, second factor, SSO). */
  signedIn: (s: Schemas['BrowserSession']) => Promise<void>;
  signOut: (everywhere?: boolean) => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

/** The signed-in person: the cookie's session (and its CSRF token), then `/me`. */
async function loadMe(): Promise<Schemas['Me']> {
  const bs = await call(api.GET('/auth/browser/session'));
  session.setCsrf(bs.csrf_token);
  return call(api.GET('/me'));
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [expired, setExpired] = useState(false);
  const me = useQuery({ queryKey: ['me'], queryFn: loadMe, retry: false, staleTime: 30_000 });

  useEffect(
    () =>
      session.onExpired(() => {
        // Only a session that was signed in can end; a 401 while signed out is the normal state.
        if (!qc.getQueryData(['me'])) return;
        session.setCsrf(null);
        setExpired(true);
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
        void qc.resetQueries({ queryKey: ['me'] });
      }),
    [qc],
  );

  useEffect(() => session.onConsentRequired(() => void qc.resetQueries({ queryKey: ['me'] })), [qc]);

  const signedIn = useCallback(
    async (bs: Schemas['BrowserSession']) => {
      session.setCsrf(bs.csrf_token);
      setExpired(false);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      await qc.resetQueries({ queryKey: ['me'] });
    },
    [qc],
  );

  const signOut = useCallback(
    async (everywhere = false) => {
      try {
        await call(api.POST('/auth/browser/logout', { params: { query: { everywhere } } }));
      } catch {
        // already signed out
      }
      session.setCsrf(null);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      await qc.resetQueries({ queryKey: ['me'] });
    },
    [qc],
  );

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
