import type { ComponentType, LazyExoticComponent } from 'react';
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
  /** Cards of the home page's 工作台 (each shows nothing to a user it does not concern). */
  homeCards?: Page[];
  /** kind → the form of a request of that kind, shown in the approval drawer. */
  approvalForms?: Record<string, LazyExoticComponent<ComponentType<{ form: Record<string, unknown> }>>>;
}
