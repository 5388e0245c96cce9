import { ActionIcon, Button, Card, Checkbox, Code, Group, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../api/client';
import { useSession } from '../auth/session';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';

/** One settings section: loads, edits a copy, saves with its own button. */
function Section<T>({
  title,
  queryKey,
  load,
  save,
  children,
  testId,
  invalid,
}: {
  title: string;
  queryKey: string;
  load: () => Promise<T>;
  save: (v: T) => Promise<T>;
  children: (v: T, set: (p: Partial<T>) => void) => ReactNode;
  testId: string;
  /** The draft cannot be saved as it is (the form shows why). */
  invalid?: (v: T) => boolean;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['settings', queryKey], queryFn: load });
  const [draft, setDraft] = useState<T | null>(null);
  useEffect(() => {
    if (q.data) setDraft(q.data);
  }, [q.data]);
  const m = useMutation({
    mutationFn: (v: T) => save(v),
    onSuccess: (v) => {
      qc.setQueryData(['settings', queryKey], v);
      notifications.show({ message: t('common.saved'), color: 'green' });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft && !invalid?.(draft)) m.mutate(draft);
  };
  return (
    <Card withBorder data-testid={testId}>
      <form onSubmit={submit}>
        <Stack>
          <Title order={2} size="h4">
            {title}
          </Title>
          {q.isLoading && <Loading />}
          <ProblemAlert error={q.error} />
          {draft && children(draft, (p) => setDraft({ ...draft, ...p }))}
          <ProblemAlert error={m.error} />
          {draft && (
            <Group justify="flex-end">
              <Button type="submit" loading={m.isPending} disabled={!!invalid?.(draft)}>
                {t('common.save')}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

function useRoleOptions() {
  const s = useSession();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/roles')), enabled: s.can('roles.read') });
  return (roles.data ?? []).map((r) => ({ value: r.id, label: r.name }));
}

function Registration() {
  const { t } = useTranslation();
  const roles = useRoleOptions();
  return (
    <Section<Schemas['RegistrationSettingsView']>
      title={t('settings.registration')}
      testId="settings-registration"
      queryKey="registration"
      load={() => call(api.GET('/settings/registration'))}
      save={(v) =>
        call(
          api.PUT('/settings/registration', {
            body: {
              mode: v.mode,
              by_email: v.by_email,
              by_phone: v.by_phone,
              email_domains: v.email_domains,
              default_role_id: v.default_role_id ?? null,
              phone_sign_in: v.phone_sign_in,
            },
            headers: idem(),
          }),
        )
      }
    >
      {(v, set) => (
        <>
          <Select
            label={t('settings.mode')}
            data={[
              { value: 'invitation', label: t('settings.modeInvitation') },
              { value: 'open', label: t('settings.modeOpen') },
            ]}
            value={v.mode}
            onChange={(m) => set({ mode: m ?? 'invitation' })}
            allowDeselect={false}
          />
          <Group>
            <Checkbox label={t('settings.byEmail')} checked={v.by_email} onChange={(e) => set({ by_email: e.currentTarget.checked })} />
            <Checkbox label={t('settings.byPhone')} checked={v.by_phone} onChange={(e) => set({ by_phone: e.currentTarget.checked })} />
            <Checkbox label={t('settings.phoneSignIn')} checked={v.phone_sign_in} onChange={(e) => set({ phone_sign_in: e.currentTarget.checked })} />
          </Group>
          <TagsInput label={t('settings.emailDomains')} description={t('settings.emailDomainsHint')} value={v.email_domains} onChange={(d) => set({ email_domains: d })} />
          <Select label={t('settings.defaultRole')} data={roles} value={v.default_role_id ?? null} onChange={(r) => set({ default_role_id: r })} clearable placeholder="staff" />
        </>
      )}
    </Section>
  );
}

function TwoFactor() {
  const { t } = useTranslation();
  return (
    <Section<Schemas['TwoFactorPolicy']>
      title={t('settings.twoFactor')}
      testId="settings-two-factor"
      queryKey="two-factor"
      load={() => call(api.GET('/settings/two-factor'))}
      save={(v) => call(api.PUT('/settings/two-factor', { body: { policy: v.policy }, headers: idem() }))}
    >
      {(v, set) => (
        <Select
          label={t('settings.twoFactorPolicy')}
          data={[
            { value: 'optional', label: t('settings.tfOptional') },
            { value: 'admins', label: t('settings.tfAdmins') },
            { value: 'everyone', label: t('settings.tfEveryone') },
          ]}
          value={v.policy}
          onChange={(p) => set({ policy: p ?? 'optional' })}
          allowDeselect={false}
        />
      )}
    </Section>
  );
}

type SsoDraft = Schemas['SsoSettings'] & { client_secret?: string };
type Mapping = Schemas['SsoRoleMapping'];

/** A mapping row is complete with a group and a role; an empty one is dropped on save. */
export function mappingProblems(rows: Mapping[]): ('group' | 'role' | null)[] {
  return rows.map((r) => {
    const blank = !r.group.trim() && !r.role_id;
    if (blank) return null;
    if (!r.group.trim()) return 'group';
    if (!r.role_id) return 'role';
    return null;
  });
}

/** The rows to send: complete ones, groups trimmed. */
export function mappingToSave(rows: Mapping[]): Mapping[] {
  return rows.filter((r) => r.group.trim() || r.role_id).map((r) => ({ group: r.group.trim(), role_id: r.role_id }));
}

/** Identity-provider groups and the role each gives to people created on first sign-in. */
function RoleMapping({
  rows,
  onChange,
  roles,
}: {
  rows: Mapping[];
  onChange: (rows: Mapping[]) => void;
  roles: { value: string; label: string }[];
}) {
  const { t } = useTranslation();
  const problems = mappingProblems(rows);
  const set = (i: number, p: Partial<Mapping>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));
  // A role the list does not hold (no roles.read, or a role since deleted) still shows as its id.
  const options = (id: string) => (id && !roles.some((r) => r.value === id) ? [...roles, { value: id, label: id }] : roles);
  return (
    <Stack gap="xs" role="group" aria-labelledby="sso-mapping-title" data-testid="sso-mapping">
      <Text size="sm" fw={500} id="sso-mapping-title">
        {t('ssoMap.title')}
      </Text>
      <Text size="xs" c="dimmed">
        {t('ssoMap.hint')}
      </Text>
      {rows.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('ssoMap.none')}
        </Text>
      )}
      {rows.map((r, i) => (
        <Group key={i} align="flex-start" wrap="nowrap" gap="xs">
          <TextInput
            aria-label={t('ssoMap.groupN', { n: i + 1 })}
            placeholder={t('ssoMap.group')}
            value={r.group}
            onChange={(e) => set(i, { group: e.currentTarget.value })}
            error={problems[i] === 'group' ? t('ssoMap.groupMissing') : undefined}
            style={{ flex: 1, minWidth: 0 }}
          />
          <Select
            aria-label={t('ssoMap.roleN', { n: i + 1 })}
            placeholder={t('ssoMap.role')}
            data={options(r.role_id)}
            value={r.role_id || null}
            onChange={(v) => set(i, { role_id: v ?? '' })}
            error={problems[i] === 'role' ? t('ssoMap.roleMissing') : undefined}
            searchable
            style={{ flex: 1, minWidth: 0 }}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            size="lg"
            aria-label={t('ssoMap.removeN', { n: i + 1 })}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button variant="default" size="xs" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rows, { group: '', role_id: '' }])}>
          {t('ssoMap.add')}
        </Button>
      </Group>
    </Stack>
  );
}

function Sso() {
  const { t } = useTranslation();
  const roles = useRoleOptions();
  return (
    <Section<SsoDraft>
      title={t('settings.sso')}
      testId="settings-sso"
      queryKey="sso"
      invalid={(v) => mappingProblems(v.role_mapping).some((p) => p !== null)}
      load={() => call(api.GET('/settings/sso'))}
      save={(v) =>
        call(
          api.PUT('/settings/sso', {
            body: {
              enabled: v.enabled,
              issuer: v.issuer,
              client_id: v.client_id,
              client_secret: v.client_secret ? v.client_secret : undefined,
              scopes: v.scopes,
              name_claim: v.name_claim,
              email_claim: v.email_claim,
              phone_claim: v.phone_claim,
              groups_claim: v.groups_claim,
              role_mapping: mappingToSave(v.role_mapping),
              allowed_domains: v.allowed_domains,
              jit: v.jit,
              default_role_id: v.default_role_id ?? null,
              redirect_uris: v.redirect_uris,
              assume_email_verified: v.assume_email_verified,
            },
            headers: idem(),
          }),
        )
      }
    >
      {(v, set) => (
        <>
          <Switch label={t('settings.ssoEnabled')} checked={v.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
          <Text size="sm">
            {t('settings.callback')} <Code>{v.callback_url}</Code>
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label={t('settings.issuer')} value={v.issuer} onChange={(e) => set({ issuer: e.currentTarget.value })} />
            <TextInput label={t('settings.clientId')} value={v.client_id} onChange={(e) => set({ client_id: e.currentTarget.value })} />
            <PasswordInput
              label={t('settings.clientSecret')}
              description={v.client_secret_set ? t('settings.secretSet') : t('settings.secretNotSet')}
              value={v.client_secret ?? ''}
              onChange={(e) => set({ client_secret: e.currentTarget.value })}
              autoComplete="new-password"
            />
            <TagsInput label={t('settings.scopes')} value={v.scopes} onChange={(s) => set({ scopes: s })} />
            <TextInput label={t('settings.nameClaim')} value={v.name_claim} onChange={(e) => set({ name_claim: e.currentTarget.value })} />
            <TextInput label={t('settings.emailClaim')} value={v.email_claim} onChange={(e) => set({ email_claim: e.currentTarget.value })} />
            <TextInput label={t('settings.phoneClaim')} value={v.phone_claim} onChange={(e) => set({ phone_claim: e.currentTarget.value })} />
            <TextInput label={t('settings.groupsClaim')} value={v.groups_claim} onChange={(e) => set({ groups_claim: e.currentTarget.value })} />
            <TagsInput label={t('settings.allowedDomains')} value={v.allowed_domains} onChange={(d) => set({ allowed_domains: d })} />
            <TagsInput label={t('settings.redirectUris')} value={v.redirect_uris} onChange={(d) => set({ redirect_uris: d })} />
            <Select label={t('settings.defaultRole')} data={roles} value={v.default_role_id ?? null} onChange={(r) => set({ default_role_id: r })} clearable placeholder="staff" />
          </SimpleGrid>
          <Group>
            <Checkbox label={t('settings.jit')} checked={v.jit} onChange={(e) => set({ jit: e.currentTarget.checked })} />
            <Checkbox
              label={t('settings.assumeVerified')}
              checked={v.assume_email_verified}
              onChange={(e) => set({ assume_email_verified: e.currentTarget.checked })}
            />
          </Group>
          <RoleMapping rows={v.role_mapping} onChange={(rows) => set({ role_mapping: rows })} roles={roles} />
        </>
      )}
    </Section>
  );
}

function Documents() {
  const { t } = useTranslation();
  return (
    <Section<Schemas['DocumentSettings']>
      title={t('settings.documents')}
      testId="settings-documents"
      queryKey="documents"
      load={() => call(api.GET('/settings/documents'))}
      save={(v) =>
        call(api.PUT('/settings/documents', { body: { versions_kept: v.versions_kept, user_quota_bytes: v.user_quota_bytes }, headers: idem() }))
      }
    >
      {(v, set) => (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <NumberInput label={t('settings.versionsKept')} min={1} value={v.versions_kept} onChange={(n) => set({ versions_kept: Number(n) || 1 })} />
          <NumberInput
            label={t('settings.userQuota')}
            description={t('settings.userQuotaHint')}
            min={0}
            value={Math.round(v.user_quota_bytes / 1048576)}
            onChange={(n) => set({ user_quota_bytes: (Number(n) || 0) * 1048576 })}
          />
        </SimpleGrid>
      )}
    </Section>
  );
}

function Deletion() {
  const { t } = useTranslation();
  return (
    <Section<Schemas['DeletionSettings']>
      title={t('settings.deletion')}
      testId="settings-deletion"
      queryKey="account-deletion"
      load={() => call(api.GET('/settings/account-deletion'))}
      save={(v) => call(api.PUT('/settings/account-deletion', { body: v, headers: idem() }))}
    >
      {(v, set) => (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput
              label={t('settings.graceDays')}
              description={t('settings.graceHint')}
              min={0}
              max={30}
              value={v.grace_days}
              onChange={(n) => set({ grace_days: Number(n) || 0 })}
            />
            <Select
              label={t('settings.authoredMessages')}
              data={[
                { value: 'pseudonymise', label: t('settings.pseudonymise') },
                { value: 'delete', label: t('settings.deleteMessages') },
              ]}
              value={v.authored_messages}
              onChange={(a) => set({ authored_messages: a ?? 'pseudonymise' })}
              allowDeselect={false}
            />
          </SimpleGrid>
          <Checkbox label={t('settings.signInCancels')} checked={v.sign_in_cancels} onChange={(e) => set({ sign_in_cancels: e.currentTarget.checked })} />
        </>
      )}
    </Section>
  );
}

export function Settings() {
  const { t } = useTranslation();
  const s = useSession();
  return (
    <Page title={t('settings.title')}>
      {s.can('settings.manage') && (
        <>
          <Registration />
          <TwoFactor />
          <Sso />
          <Deletion />
        </>
      )}
      {s.can('documents.manage') && <Documents />}
    </Page>
  );
}
