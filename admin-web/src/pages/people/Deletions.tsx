import { Badge, Button, Checkbox, Select, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { QueryTable, usePaged } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { PersonName } from './PersonName';

export function CancelDeletion({ deletion, onDone }: { deletion: Schemas['Deletion']; onDone?: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reactivate, setReactivate] = useState(true);
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/users/{id}/deletion/cancel', {
          params: { path: { id: deletion.user_id } },
          body: { reactivate },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      void qc.invalidateQueries({ queryKey: ['deletions'] });
      setOpen(false);
      onDone?.();
    },
  });
  return (
    <>
      <Button size="xs" variant="default" onClick={() => setOpen(true)}>
        {t('deletion.cancel')}
      </Button>
      <Confirm
        opened={open}
        onClose={() => setOpen(false)}
        title={t('deletion.cancelTitle')}
        confirmLabel={t('deletion.cancel')}
        onConfirm={() => m.mutate()}
        pending={m.isPending}
        error={m.error}
        color="blue"
      >
        <Text size="sm">{t('deletion.cancelIntro')}</Text>
        <Checkbox label={t('deletion.reactivate')} checked={reactivate} onChange={(e) => setReactivate(e.currentTarget.checked)} />
      </Confirm>
    </>
  );
}

export function Deletions() {
  const { t } = useTranslation();
  const [status, setStatus] = useState('pending');
  const { query: list, pages } = usePaged(['deletions', status], (cursor) =>
    call(api.GET('/account-deletions', { params: { query: { status: status || undefined, cursor } } })),
  );
  return (
    <>
      <Select
        label={t('deletion.status')}
        w={220}
        data={['pending', 'erasing', 'erased', 'cancelled', ''].map((s) => ({
          value: s,
          label: s ? t(`deletion.st.${s}`) : t('people.anyStatus'),
        }))}
        value={status}
        onChange={(v) => {
          setStatus(v ?? '');
          pages.reset();
        }}
        allowDeselect={false}
      />
      <QueryTable
        query={list}
        pages={pages}
        label={t('people.tabDeletions')}
        rowKey={(d) => d.id}
        columns={[
          { key: 'person', header: t('deletion.person'), render: (d) => <PersonName id={d.user_id} /> },
          { key: 'requested', header: t('deletion.requestedAt'), render: (d) => <DateTime value={d.requested_at} /> },
          { key: 'erase', header: t('deletion.eraseAt'), render: (d) => <DateTime value={d.erase_at} /> },
          {
            key: 'status',
            header: t('deletion.status'),
            render: (d) => <Badge variant="light">{t(`deletion.st.${d.status}`, { defaultValue: d.status })}</Badge>,
          },
          { key: 'actions', header: '', render: (d) => d.status === 'pending' && <CancelDeletion deletion={d} /> },
        ]}
      />
    </>
  );
}
