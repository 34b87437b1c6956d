// Adds the bearer token. A 401 usually means the cached token was revoked or expired early (token lifetimes vary
// and clocks drift): refresh once and retry once, then let the 401 through.
import type { GraphRequest, GraphResponse, Plugin, TokenProvider } from './types.ts';

export function authPlugin(tokens: TokenProvider): Plugin {
  return (next) =>
    async <T>(request: GraphRequest): Promise<GraphResponse<T>> => {
      const send = async (forceRefresh: boolean) => {
        const { token } = await tokens.getToken({
          forceRefresh,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        return next<T>({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } });
      };
      try {
        return await send(false);
      } catch (error) {
        if ((error as { status?: unknown }).status !== 401 || (error as Error).name !== 'GraphError')
          throw error;
        return send(true);
      }
    };
}
