import { Alert, Button, Checkbox, CopyButton, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { DateTime } from '../../components/DateTime';
import { ProblemAlert } from '../../components/ProblemAlert';

/** The link an invitation answered, to hand over; whether it was also mailed. */
export function InvitationResult({ link }: { link: Schemas['InvitationLink'] }) {
  const { t } = useTranslation();
  return (
    <Alert color="green" title={t('people.invited')} data-testid="invitation">
      <Stack gap="xs">
        <Text size="sm">{link.mailed ? t('people.mailed') : t('people.notMailed')}</Text>
        <TextInput readOnly value={link.url} aria-label={t('people.link')} data-testid="invitation-url" />
        <Group justify="space-between">
          <Text size="xs">
            {t('people.expires')} <DateTime value={link.expires_at} />
          </Text>
          <CopyButton value={link.url}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy}>
                {copied ? t('common.copied') : t('common.copy')}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}

export function InviteDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form, setForm] = useState({ display_name: '', email: '', phone: '', title: '', department: '' });
  const [roleIds, setRoleIds] = useState<string[]>([]);
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/roles')), enabled: opened });
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/users', {
          body: {
            display_name: form.display_name.trim(),
            email: form.email.trim() || undefined,
            phone: form.phone.trim() || undefined,
            title: form.title.trim() || undefined,
            department: form.department.trim() || undefined,
            role_ids: roleIds.length ? roleIds : null,
          },
          headers: idem(),
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
  });
  const close = () => {
    create.reset();
    setForm({ display_name: '', email: '', phone: '', title: '', department: '' });
    setRoleIds([]);
    onClose();
  };
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };

  return (
    <Modal opened={opened} onClose={close} title={t('people.inviteTitle')} size="lg">
      {create.data ? (
        <Stack>
          <InvitationResult link={create.data.invitation} />
          <Group justify="flex-end">
            <Button onClick={close}>{t('common.done')}</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <TextInput label={t('people.name')} required value={form.display_name} onChange={set('display_name')} data-autofocus />
            <TextInput label={t('people.email')} type="email" value={form.email} onChange={set('email')} />
            <TextInput label={t('people.phone')} description={t('people.phoneHint')} value={form.phone} onChange={set('phone')} />
            <Group grow wrap="wrap">
              <TextInput label={t('people.jobTitle')} value={form.title} onChange={set('title')} />
              <TextInput label={t('people.department')} value={form.department} onChange={set('department')} />
            </Group>
            <ProblemAlert error={roles.error} />
            {roles.data && (
              <Checkbox.Group label={t('people.roles')} value={roleIds} onChange={setRoleIds}>
                <Group mt="xs">
                  {roles.data.map((r) => (
                    <Checkbox key={r.id} value={r.id} label={r.name} />
                  ))}
                </Group>
              </Checkbox.Group>
            )}
            <ProblemAlert error={create.error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={create.isPending}>
                {t('people.sendInvite')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
