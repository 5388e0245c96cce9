import { ActionIcon, Anchor, AppShell, Burger, Button, Group, NavLink, ScrollArea, Select, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconBuildingCommunity,
  IconCalendarTime,
  IconChecklist,
  IconDoor,
  IconMapPinSearch,
  IconDashboard,
  IconSpeakerphone,
  IconDatabase,
  IconFileText,
  IconHourglass,
  IconLock,
  IconLogout,
  IconSettings,
  IconShieldCheck,
  IconUserCircle,
  IconUsers,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { useSession } from '../auth/session';
import { LANGUAGES } from '../i18n';

export interface NavItem {
  to: string;
  key: string;
  icon: ReactNode;
  /** Shown when the person holds any of these (none: everyone). */
  anyOf?: string[];
}

export const NAV: NavItem[] = [
  { to: '/', key: 'nav.overview', icon: <IconDashboard size={18} /> },
  { to: '/people', key: 'nav.people', icon: <IconUsers size={18} />, anyOf: ['users.read'] },
  { to: '/directory', key: 'nav.directory', icon: <IconBuildingCommunity size={18} />, anyOf: ['directory.read', 'directory.manage'] },
  { to: '/roles', key: 'nav.roles', icon: <IconShieldCheck size={18} />, anyOf: ['roles.read', 'roles.manage'] },
  { to: '/retention', key: 'nav.retention', icon: <IconHourglass size={18} />, anyOf: ['retention.manage'] },
  { to: '/audit', key: 'nav.audit', icon: <IconFileText size={18} />, anyOf: ['audit.read'] },
  {
    to: '/announcements',
    key: 'nav.announcements',
    icon: <IconSpeakerphone size={18} />,
    anyOf: ['announcements.publish', 'announcements.receipts.read'],
  },
  { to: '/attendance', key: 'nav.attendance', icon: <IconCalendarTime size={18} />, anyOf: ['attendance.manage'] },
  { to: '/approvals', key: 'nav.approvals', icon: <IconChecklist size={18} />, anyOf: ['approvals.templates.manage'] },
  { to: '/meeting-resources', key: 'resources.nav', icon: <IconDoor size={18} />, anyOf: ['meetings.manage'] },
  { to: '/bulletin', key: 'bulletin.nav', icon: <IconMapPinSearch size={18} />, anyOf: ['bulletin.moderate'] },
  { to: '/privacy', key: 'nav.privacy', icon: <IconLock size={18} />, anyOf: ['settings.manage'] },
  { to: '/settings', key: 'nav.settings', icon: <IconSettings size={18} />, anyOf: ['settings.manage', 'documents.manage'] },
  { to: '/storage', key: 'nav.storage', icon: <IconDatabase size={18} /> },
];

export function visibleNav(can: (p: string) => boolean): NavItem[] {
  return NAV.filter((n) => !n.anyOf || n.anyOf.some(can));
}

export function LanguageSelect() {
  const { t, i18n } = useTranslation();
  return (
    <Select
      aria-label={t('common.language')}
      size="xs"
      w={120}
      data={LANGUAGES.map((l) => ({ value: l.value, label: l.label }))}
      value={i18n.resolvedLanguage ?? 'en'}
      onChange={(v) => v && void i18n.changeLanguage(v)}
      allowDeselect={false}
    />
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const s = useSession();
  const loc = useLocation();
  const [opened, { toggle, close }] = useDisclosure();
  const items = visibleNav(s.can);
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
            <Text fw={700} style={{ whiteSpace: 'nowrap' }} visibleFrom="xs">
              {t('app.title')}
            </Text>
            <Text size="sm" c="dimmed" visibleFrom="sm">
              {s.me?.tenant.slug}
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Anchor component={Link} to="/account" size="sm" visibleFrom="md" data-testid="whoami">
              {s.me?.user.display_name}
            </Anchor>
            <LanguageSelect />
            <Button
              variant="default"
              size="xs"
              leftSection={<IconLogout size={16} />}
              onClick={() => void s.signOut()}
              visibleFrom="sm"
            >
              {t('nav.signOut')}
            </Button>
            <ActionIcon variant="default" size="lg" onClick={() => void s.signOut()} aria-label={t('nav.signOut')} hiddenFrom="sm">
              <IconLogout size={16} />
            </ActionIcon>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('nav.label')}>
        <ScrollArea>
          <nav>
            <VisuallyHidden>
              <h2>{t('nav.label')}</h2>
            </VisuallyHidden>
            {items.map((n) => (
              <NavLink
                key={n.to}
                component={Link}
                to={n.to}
                label={t(n.key)}
                leftSection={n.icon}
                active={n.to === '/' ? loc.pathname === '/' : loc.pathname.startsWith(n.to)}
                onClick={close}
              />
            ))}
            {/* Below md the header has no room for the account link: it lives here, in the
                navbar (the burger's menu on a phone). */}
            <NavLink
              component={Link}
              to="/account"
              label={t('account.title')}
              description={s.me?.user.display_name}
              leftSection={<IconUserCircle size={18} />}
              active={loc.pathname.startsWith('/account')}
              onClick={close}
              hiddenFrom="md"
              data-testid="nav-account"
            />
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
