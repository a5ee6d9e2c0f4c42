import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import {
  AlertOutlined,
  ApartmentOutlined,
  BarChartOutlined,
  EnvironmentOutlined,
  FileSearchOutlined,
  HomeOutlined,
  IdcardOutlined,
  SafetyCertificateOutlined,
  SearchOutlined,
  SwapOutlined,
  TrophyOutlined,
  UserAddOutlined,
  WarningOutlined,
  AimOutlined,
  ContactsOutlined,
  FileProtectOutlined,
} from '@ant-design/icons';
import type { NavItem } from '../../app/routing/nav';
import type { HomeCardDef, WebModule } from '../types';

/** M2 pages in menu order; each opens for any of `anyOf` (the side menu and the route guard use the same list). */
export const POPULATION_NAV: NavItem[] = [
  { key: 'pop-my-grid', path: '/population/my-grid', label: 'nav.pop.myGrid', desc: 'home.desc.pop.myGrid', icon: <AimOutlined />, anyOf: ['patrol:grid'], group: 'nav.group.population', landing: true },
  { key: 'pop-register', path: '/population/register', label: 'nav.pop.register', desc: 'home.desc.pop.register', icon: <UserAddOutlined />, anyOf: ['person:write'], group: 'nav.group.population' },
  { key: 'pop-persons', path: '/population/persons', label: 'nav.pop.persons', desc: 'home.desc.pop.persons', icon: <SearchOutlined />, anyOf: ['person:read'], group: 'nav.group.population' },
  { key: 'pop-houses', path: '/population/houses', label: 'nav.pop.houses', desc: 'home.desc.pop.houses', icon: <HomeOutlined />, anyOf: ['person:write'], group: 'nav.group.population' },
  { key: 'pop-permits', path: '/population/permits', label: 'nav.pop.permits', desc: 'home.desc.pop.permits', icon: <ContactsOutlined />, anyOf: ['permit:read', 'permit:write', 'permit:decide'], group: 'nav.group.population' },
  { key: 'pop-letters', path: '/population/letters', label: 'nav.pop.letters', desc: 'home.desc.pop.letters', icon: <FileProtectOutlined />, anyOf: ['letter:read', 'letter:write'], group: 'nav.group.population' },
  { key: 'pop-incidents', path: '/population/incidents', label: 'nav.pop.incidents', desc: 'home.desc.pop.incidents', icon: <AlertOutlined />, anyOf: ['incident:report'], group: 'nav.group.population' },
  { key: 'pop-crime-leads', path: '/population/crime-leads', label: 'nav.pop.crimeLeads', desc: 'home.desc.pop.crimeLeads', icon: <AlertOutlined />, anyOf: ['crime_lead:report', 'crime_lead:read'], group: 'nav.group.population' },
  { key: 'pop-review', path: '/population/review', label: 'nav.pop.review', desc: 'home.desc.pop.review', icon: <IdcardOutlined />, anyOf: ['person:review', 'recheck:write'], group: 'nav.group.population' },
  { key: 'pop-moves', path: '/population/moves', label: 'nav.pop.moves', desc: 'home.desc.pop.moves', icon: <SwapOutlined />, anyOf: ['move:confirm', 'move:confirm_cross'], group: 'nav.group.population' },
  { key: 'pop-patrols', path: '/population/patrols', label: 'nav.pop.patrols', desc: 'home.desc.pop.patrols', icon: <SafetyCertificateOutlined />, anyOf: ['patrol:station', 'patrol:street'], group: 'nav.group.population' },
  { key: 'pop-stats', path: '/population/stats', label: 'nav.pop.stats', desc: 'home.desc.pop.stats', icon: <BarChartOutlined />, anyOf: ['population:stats'], group: 'nav.group.population' },
  { key: 'pop-map', path: '/population/map', label: 'nav.pop.map', desc: 'home.desc.pop.map', icon: <EnvironmentOutlined />, anyOf: ['population:stats'], group: 'nav.group.population' },
  { key: 'pop-assessment', path: '/population/assessment', label: 'nav.pop.assessment', desc: 'home.desc.pop.assessment', icon: <TrophyOutlined />, anyOf: ['assessment:read'], group: 'nav.group.population' },
  { key: 'pop-ranking', path: '/population/ranking', label: 'nav.pop.ranking', desc: 'home.desc.pop.ranking', icon: <TrophyOutlined />, anyOf: ['population:ranking'], group: 'nav.group.population' },
  { key: 'pop-collection-points', path: '/population/collection-points', label: 'nav.pop.collectionPoints', desc: 'home.desc.pop.collectionPoints', icon: <ApartmentOutlined />, anyOf: ['collection_point:manage', 'patrol:station', 'patrol:street'], group: 'nav.group.population' },
  { key: 'pop-errors', path: '/population/error-reports', label: 'nav.pop.errors', desc: 'home.desc.pop.errors', icon: <WarningOutlined />, anyOf: ['error_report:read'], group: 'nav.group.population' },
  { key: 'pop-transfer', path: '/population/transfer', label: 'nav.pop.transfer', desc: 'home.desc.pop.transfer', icon: <FileSearchOutlined />, anyOf: ['person:import', 'person:export', 'person:compare'], group: 'nav.group.population' },
];

/** The page component of each M2 menu entry (loaded on first visit). */
export const POPULATION_PAGES: Record<string, LazyExoticComponent<ComponentType>> = {
  'pop-my-grid': lazy(() => import('./MyGridPage')),
  'pop-register': lazy(() => import('./RegisterPage')),
  'pop-persons': lazy(() => import('./PersonsPage')),
  'pop-houses': lazy(() => import('./HousesPage')),
  'pop-permits': lazy(() => import('./PermitsPage')),
  'pop-letters': lazy(() => import('./LettersPage')),
  'pop-incidents': lazy(() => import('./IncidentsPage')),
  'pop-crime-leads': lazy(() => import('./CrimeLeadsPage')),
  'pop-review': lazy(() => import('./ReviewPage')),
  'pop-moves': lazy(() => import('./MovesPage')),
  'pop-patrols': lazy(() => import('./PatrolsPage')),
  'pop-stats': lazy(() => import('./StatsPage')),
  'pop-map': lazy(() => import('./MapPage')),
  'pop-assessment': lazy(() => import('./AssessmentPage')),
  'pop-ranking': lazy(() => import('./RankingPage')),
  'pop-collection-points': lazy(() => import('./CollectionPointsPage')),
  'pop-errors': lazy(() => import('./ErrorReportsPage')),
  'pop-transfer': lazy(() => import('./TransferPage')),
};


/** 工作台 cards of M2 (GET /api/v1/home/summary, population module's homeCards). */
const POPULATION_HOME_CARDS: HomeCardDef[] = [
  { key: 'population.toEnter', title: 'home.card.pop.toEnter', path: '/population/review?tab=collected', icon: <IdcardOutlined />, unit: 'home.unit.items', none: 'home.card.none' },
  { key: 'population.review', title: 'home.card.pop.review', path: '/population/review', icon: <IdcardOutlined />, unit: 'home.unit.items', overdue: 'home.card.pop.late', none: 'home.card.none' },
  { key: 'population.gridPatrols', title: 'home.card.pop.gridPatrols', path: '/population/my-grid', icon: <SafetyCertificateOutlined />, unit: 'home.unit.items', overdue: 'home.card.pop.overdue', none: 'home.card.none' },
  { key: 'population.returned', title: 'home.card.pop.returned', path: '/population/my-grid', icon: <WarningOutlined />, unit: 'home.unit.items' },
  { key: 'population.overduePatrols', title: 'home.card.pop.overduePatrols', path: '/population/patrols', icon: <SafetyCertificateOutlined />, unit: 'home.unit.items', none: 'home.card.none' },
  { key: 'population.moves', title: 'home.card.pop.moves', path: '/population/moves', icon: <SwapOutlined />, unit: 'home.unit.items' },
  { key: 'population.incidentsOpen', title: 'home.card.pop.incidentsOpen', path: '/population/incidents', icon: <AlertOutlined />, unit: 'home.unit.items', none: 'home.card.none' },
  { key: 'population.incidentsToDispatch', title: 'home.card.pop.incidentsToDispatch', path: '/population/incidents?status=reported', icon: <AlertOutlined />, unit: 'home.unit.items', none: 'home.card.none' },
  { key: 'population.myMonth', title: 'home.card.pop.myMonth', path: '/population/my-grid', icon: <AimOutlined />, unit: 'home.unit.items', figures: { passed: 'home.card.pop.passed' } },
];

export const populationWeb: WebModule = { name: 'population', nav: POPULATION_NAV, pages: POPULATION_PAGES, homeCards: POPULATION_HOME_CARDS };
