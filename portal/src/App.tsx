// The portal's frame, as the Entra admin center lays it out: a top bar with the signed-in user, a
// navigation pane, and the page.
import {
  Avatar,
  Button,
  makeStaticStyles,
  makeStyles,
  mergeClasses,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import { lazy, type ReactNode, Suspense } from 'react';
import { SignIn } from './auth/SignIn';
import { useSession, useSessionState } from './auth/session';
import { Approvals } from './pages/Approvals';
import { MyAudit } from './pages/MyAudit';
import { MyRequests } from './pages/MyRequests';
import { MyRoles } from './pages/MyRoles';
import { Reviews } from './pages/Reviews';
import { SecurityInfo } from './pages/SecurityInfo';
import { Link, usePath } from './router';

// The admin pages are a chunk of their own: most people never open them.
const admin = <K extends string>(load: () => Promise<Record<K, () => ReactNode>>, name: K) =>
  lazy(async () => ({ default: (await load())[name] }));
const AdminRoles = admin(() => import('./pages/admin/Roles'), 'AdminRoles');
const AdminAssignments = admin(() => import('./pages/admin/Assignments'), 'AdminAssignments');
const RoleSettings = admin(() => import('./pages/admin/RoleSettings'), 'RoleSettings');
const AdminAuditLog = admin(() => import('./pages/admin/AuditLog'), 'AdminAuditLog');
const AdminIntegrations = admin(() => import('./pages/admin/Integrations'), 'AdminIntegrations');
const AdminAccessReviews = admin(() => import('./pages/admin/AccessReviews'), 'AdminAccessReviews');
const AdminAlerts = admin(() => import('./pages/admin/Alerts'), 'AdminAlerts');

const useGlobalStyles = makeStaticStyles({
  body: { margin: 0 },
});

const useStyles = makeStyles({
  shell: { display: 'grid', gridTemplateRows: '48px 1fr', minHeight: '100vh' },
  topBar: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalM,
    padding: `0 ${tokens.spacingHorizontalL}`,
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
  },
  product: { flexGrow: 1, color: tokens.colorNeutralForegroundOnBrand },
  signOut: { color: tokens.colorNeutralForegroundOnBrand },
  body: { display: 'grid', gridTemplateColumns: '240px 1fr' },
  nav: {
    borderRight: `1px solid ${tokens.colorNeutralStroke2}`,
    backgroundColor: tokens.colorNeutralBackground2,
    padding: `${tokens.spacingVerticalM} 0`,
  },
  navHeading: {
    display: 'block',
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    color: tokens.colorNeutralForeground2,
    fontSize: tokens.fontSizeBase200,
    fontWeight: tokens.fontWeightSemibold,
    textTransform: 'uppercase',
    margin: 0,
  },
  navList: { listStyle: 'none', margin: 0, padding: 0 },
  navLink: {
    display: 'block',
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    color: tokens.colorNeutralForeground1,
    textDecoration: 'none',
    borderLeft: '3px solid transparent',
    ':hover': { backgroundColor: tokens.colorNeutralBackground1Hover },
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}`, outlineOffset: '-2px' },
  },
  navLinkCurrent: {
    borderLeft: `3px solid ${tokens.colorBrandStroke1}`,
    backgroundColor: tokens.colorNeutralBackground1Selected,
    fontWeight: tokens.fontWeightSemibold,
  },
  main: { padding: tokens.spacingHorizontalXXL, minWidth: 0 },
});

interface Route {
  path: string;
  label: string;
  page: () => ReactNode;
}

const MY_ROUTES: Route[] = [
  { path: '/', label: 'My roles', page: () => <MyRoles /> },
  { path: '/approvals', label: 'Approve requests', page: () => <Approvals /> },
  { path: '/reviews', label: 'Review access', page: () => <Reviews /> },
  { path: '/requests', label: 'My requests', page: () => <MyRequests /> },
  { path: '/history', label: 'My audit history', page: () => <MyAudit /> },
  { path: '/security-info', label: 'Security info', page: () => <SecurityInfo /> },
];

const ADMIN_ROUTES: Route[] = [
  { path: '/admin/roles', label: 'Roles and groups', page: () => <AdminRoles /> },
  { path: '/admin/assignments', label: 'Assignments', page: () => <AdminAssignments /> },
  { path: '/admin/settings', label: 'Role settings', page: () => <RoleSettings /> },
  { path: '/admin/access-reviews', label: 'Access reviews', page: () => <AdminAccessReviews /> },
  { path: '/admin/audit', label: 'Audit log', page: () => <AdminAuditLog /> },
  { path: '/admin/integrations', label: 'Connectors and subscriptions', page: () => <AdminIntegrations /> },
  { path: '/admin/alerts', label: 'Alerts', page: () => <AdminAlerts /> },
];

export function App() {
  useGlobalStyles();
  const { session, loading } = useSessionState();
  if (loading) return <Spinner label="Loading" style={{ marginTop: '20vh' }} />;
  if (!session) return <SignIn />;
  return <Shell />;
}

function Shell() {
  const styles = useStyles();
  const session = useSession();
  const path = usePath();
  const routes = [...MY_ROUTES, ...(session.isAdmin || session.canReadAudit ? ADMIN_ROUTES : [])];
  const route = routes.find((r) => r.path === path);
  return (
    <div className={styles.shell}>
      <header className={styles.topBar}>
        <Text weight="semibold" size={400} className={styles.product}>
          JIT Access | Privileged Identity Management
        </Text>
        <Avatar name={session.me.displayName} size={28} color="neutral" aria-hidden />
        <Text>{session.me.displayName}</Text>
        <Button appearance="transparent" className={styles.signOut} onClick={session.signOut}>
          Sign out
        </Button>
      </header>
      <div className={styles.body}>
        <nav className={styles.nav} aria-label="Privileged Identity Management">
          <NavSection title="Tasks" routes={MY_ROUTES} current={path} />
          {session.isAdmin || session.canReadAudit ? (
            <NavSection title="Manage" routes={ADMIN_ROUTES} current={path} />
          ) : null}
        </nav>
        <main className={styles.main}>
          <Suspense fallback={<Spinner label="Loading" />}>{route ? route.page() : <NotFound />}</Suspense>
        </main>
      </div>
    </div>
  );
}

function NavSection({ title, routes, current }: { title: string; routes: Route[]; current: string }) {
  const styles = useStyles();
  return (
    <>
      <h2 className={styles.navHeading}>{title}</h2>
      <ul className={styles.navList}>
        {routes.map((r) => (
          <li key={r.path}>
            <Link
              to={r.path}
              className={mergeClasses(styles.navLink, r.path === current && styles.navLinkCurrent)}
              aria-current={r.path === current ? 'page' : undefined}
            >
              {r.label}
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}

function NotFound() {
  return (
    <Text as="h1" size={600}>
      No such page. <Link to="/">Go to My roles</Link>
    </Text>
  );
}
