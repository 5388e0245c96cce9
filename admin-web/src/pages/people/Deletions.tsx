import { Badge, Button, Checkbox, Select, Table, Text } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Pager } from '../../components/Pager';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useCursor } from '../../components/useCursor';
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
  const pages = useCursor();
  const list = useQuery({
    queryKey: ['deletions', status, pages.cursor],
    queryFn: () =>
      call(api.GET('/account-deletions', { params: { query: { status: status || undefined, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
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
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('deletion.person')}</Table.Th>
                  <Table.Th>{t('deletion.requestedAt')}</Table.Th>
                  <Table.Th>{t('deletion.eraseAt')}</Table.Th>
                  <Table.Th>{t('deletion.status')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>{t('common.none')}</Table.Td>
                  </Table.Tr>
                )}
                {list.data.items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <PersonName id={d.user_id} />
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={d.requested_at} />
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={d.erase_at} />
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light">{t(`deletion.st.${d.status}`, { defaultValue: d.status })}</Badge>
                    </Table.Td>
                    <Table.Td>{d.status === 'pending' && <CancelDeletion deletion={d} />}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
    </>
  );
}
