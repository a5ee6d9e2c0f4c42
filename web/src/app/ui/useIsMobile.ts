import { Grid } from 'antd';

/** Phone width (< 768 px): side menu in a drawer, stacked panels, compact tables. */
export function useIsMobile(): boolean {
  const screens = Grid.useBreakpoint();
  if (screens.md === undefined) return typeof window !== 'undefined' && window.innerWidth < 768;
  return !screens.md;
}
