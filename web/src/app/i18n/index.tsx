import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';
import zhCN, { type MessageKey } from './zh-CN';
import en from './en';

export type Locale = 'zh-CN' | 'en';
export type { MessageKey };

const STORAGE_KEY = 'jiedao.locale';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

export type Vars = Record<string, string | number>;

function interpolate(s: string, vars?: Vars): string {
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export interface I18n {
  locale: Locale;
  setLocale: (l: Locale) => void;
  /** Translate a known key. */
  t: (key: MessageKey, vars?: Vars) => string;
  /** Translate a key built at run time (e.g. `post.${code}`); falls back when the key is unknown. */
  tx: (key: string, fallback: string, vars?: Vars) => string;
}

function readStoredLocale(): Locale {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* storage blocked */
  }
  return 'zh-CN';
}

function applyLocale(l: Locale): void {
  dayjs.locale(l === 'en' ? 'en' : 'zh-cn');
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

const initial = readStoredLocale();
applyLocale(initial);

function makeI18n(locale: Locale, setLocale: (l: Locale) => void): I18n {
  const dict = dictionaries[locale];
  return {
    locale,
    setLocale,
    t: (key, vars) => interpolate(dict[key] ?? zhCN[key] ?? key, vars),
    tx: (key, fallback, vars) => {
      const s = (dict as Record<string, string>)[key];
      return s === undefined ? fallback : interpolate(s, vars);
    },
  };
}

const I18nContext = createContext<I18n>(makeI18n(initial, () => undefined));

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initial);
  const setLocale = useCallback((l: Locale) => {
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* storage blocked */
    }
    applyLocale(l);
    setLocaleState(l);
  }, []);
  useEffect(() => {
    document.title = dictionaries[locale]['app.name'] + ' · ' + dictionaries[locale]['app.title'];
  }, [locale]);
  const value = useMemo(() => makeI18n(locale, setLocale), [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** The translate function of the current language. */
export function useT(): I18n['t'] {
  return useContext(I18nContext).t;
}
