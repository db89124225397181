// Loads data for a page: value, error, loading, and reload() after a change. `key` names what the
// load depends on (a policy id, a filter): a new key loads again.
import { useCallback, useEffect, useRef, useState } from 'react';

export function useLoad<T>(load: () => Promise<T>, key: unknown = undefined) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setValue(await latest.current());
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is what a new load depends on
  useEffect(() => {
    void reload();
  }, [reload, key]);
  return { value, error, loading, reload };
}
