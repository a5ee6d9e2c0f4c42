import { useSearchParams } from 'react-router';

/** A list page's state in the URL: `set({ key: value })` writes it, null / undefined / '' removes the key. */
export function useUrlState() {
  const [params, setParams] = useSearchParams();
  const set = (patch: Record<string, string | null | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };
  return [params, set, setParams] as const;
}
