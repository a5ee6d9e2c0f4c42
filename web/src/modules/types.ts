import type { ComponentType, LazyExoticComponent, ReactNode } from 'react';
import type { MessageKey } from '../app/i18n';
import type { NavItem } from '../app/routing/nav';

type Page = LazyExoticComponent<ComponentType>;

/**
 * What a business module brings to the web app: its menu entries (each opening the page of the
 * same key), printable pages (A4, outside the app's frame) and, for approval kinds it owns, the view
 * of a request's form inside the approval drawer. Messages are merged in ./messages.ts.
 *
 * Every component here is lazy (`React.lazy`): this registry is part of the app's first download (the
 * login page), so a module's code must load only when one of its pages, cards or forms is shown.
 */
export interface WebModule {
  name: string;
  nav: NavItem[];
  pages: Record<string, Page>;
  /** Routes under /print/… rendered without the side menu and header. */
  printPages?: { path: string; page: Page }[];
  /**
   * How the 工作台 draws the module's cards of GET /api/v1/home/summary (the server decides which
   * cards a user gets, for their permissions and scope; one request for the whole page).
   */
  homeCards?: HomeCardDef[];
  /** kind → the form of a request of that kind, shown in the approval drawer. */
  approvalForms?: Record<string, LazyExoticComponent<ComponentType<{ form: Record<string, unknown> }>>>;
}

/** One card of the 工作台: the server card of the same `key`, drawn as a link to the page where the work is done. */
export interface HomeCardDef {
  key: string;
  title: MessageKey;
  /** The page the card opens. */
  path: string;
  icon: ReactNode;
  /** What the number counts ("条", "天"). */
  unit?: MessageKey;
  /** Label of the card's `overdue` part (shown in red when not zero). */
  overdue?: MessageKey;
  /** Text for a zero count (a to-do with nothing waiting). */
  none?: MessageKey;
  /** Labels of the card's further `figures`. */
  figures?: Record<string, MessageKey>;
}
