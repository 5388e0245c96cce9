import { Badge, Button, Checkbox, Group, Modal, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem } from '../api/client';
import { Confirm } from '../components/Confirm';
import { DateTime } from '../components/DateTime';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { Pager } from '../components/Pager';
import { ProblemAlert } from '../components/ProblemAlert';
import { useCursor } from '../components/useCursor';
import { formatDateTime } from '../format';
import { serverText } from '../serverText';

function Version({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const v = useQuery({
    queryKey: ['privacy', 'version', id],
    enabled: !!id,
    queryFn: () => call(api.GET('/privacy/policies/{id}', { params: { path: { id: id! } } })),
  });
  return (
    <Modal opened={!!id} onClose={onClose} title={v.data?.label ?? t('privacy.version')} size="xl">
      {v.isLoading && <Loading />}
      <ProblemAlert error={v.error} />
      {v.data && (
        <Stack>
          <Text size="sm">
            {t('privacy.effective')} <DateTime value={v.data.effective_at} /> · {t('privacy.accepted', { n: v.data.accepted })}
          </Text>

            <pre style={{ whiteSpace: 'pre-wrap', fontFamily: 'inherit' }}>{v.data.body}</pre>

        </Stack>
      )}
    </Modal>
  );
}

function Publish({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const [label, setLabel] = useState('');
  const [body, setBody] = useState('');
  const [effective, setEffective] = useState('');
  const [reconsent, setReconsent] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/privacy/policies', {
          body: {
            label: label.trim(),
            body,
            effective_at: effective ? new Date(effective).toISOString() : null,
            requires_reconsent: reconsent,
          },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['privacy'] });
      setConfirm(false);
      setLabel('');
      setBody('');
      setEffective('');
      setReconsent(false);
      onClose();
    },
  });
  return (
    <>
      <Modal opened={opened && !confirm} onClose={onClose} title={t('privacy.publish')} size="xl">
        <Stack>
          <TextInput label={t('privacy.label')} required value={label} onChange={(e) => setLabel(e.currentTarget.value)} data-autofocus />
          <Textarea label={t('privacy.body')} description={t('privacy.bodyHint')} required autosize minRows={8} maxRows={20} value={body} onChange={(e) => setBody(e.currentTarget.value)} />
          <TextInput type="datetime-local" label={t('privacy.effective')} description={t('privacy.effectiveHint')} value={effective} onChange={(e) => setEffective(e.currentTarget.value)} />
          <Checkbox label={t('privacy.reconsent')} checked={reconsent} onChange={(e) => setReconsent(e.currentTarget.checked)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button disabled={!label.trim() || !body.trim()} onClick={() => setConfirm(true)}>
              {t('privacy.publish')}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Confirm
        opened={opened && confirm}
        onClose={() => setConfirm(false)}
        title={t('privacy.confirmTitle', { label })}
        confirmLabel={t('privacy.publish')}
        onConfirm={() => m.mutate()}
        pending={m.isPending}
        error={m.error}
        color="blue"
      >
        <Text size="sm">
          {t('privacy.confirmWhen', {
            at: effective ? formatDateTime(new Date(effective).toISOString(), i18n.resolvedLanguage ?? 'en') : t('privacy.now'),
          })}
        </Text>
        <Text size="sm">{reconsent ? t('privacy.confirmReconsent') : t('privacy.confirmNoReconsent')}</Text>
        <Text size="sm">{t('privacy.confirmFinal')}</Text>
      </Confirm>
    </>
  );
}

export function Privacy() {
  const { t } = useTranslation();
  const pages = useCursor();
  const [open, setOpen] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const list = useQuery({
    queryKey: ['privacy', 'list', pages.cursor],
    queryFn: () => call(api.GET('/privacy/policies', { params: { query: { cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Page title={t('privacy.title')} actions={<Button onClick={() => setPublishing(true)}>{t('privacy.publish')}</Button>}>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('privacy.label')}</Table.Th>
                  <Table.Th>{t('privacy.status')}</Table.Th>
                  <Table.Th>{t('privacy.effective')}</Table.Th>
                  <Table.Th>{t('privacy.acceptedCol')}</Table.Th>
                  <Table.Th>{t('privacy.pendingCol')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>{t('privacy.none')}</Table.Td>
                  </Table.Tr>
                )}
                {list.data.items.map((v) => (
                  <Table.Tr key={v.id}>
                    <Table.Td>
                      <Button variant="subtle" size="compact-sm" onClick={() => setOpen(v.id)}>
                        {v.label}
                      </Button>
                      {v.requires_reconsent && (
                        <Badge size="xs" variant="outline" ml={4}>
                          {t('privacy.reconsentShort')}
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light">{serverText(t, 'policyStatus', v.status)}</Badge>
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={v.effective_at} />
                    </Table.Td>
                    <Table.Td data-testid={`accepted-${v.label}`}>{v.accepted}</Table.Td>
                    <Table.Td>{v.pending ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
      <Version id={open} onClose={() => setOpen(null)} />
      <Publish opened={publishing} onClose={() => setPublishing(false)} />
    </Page>
  );
}
