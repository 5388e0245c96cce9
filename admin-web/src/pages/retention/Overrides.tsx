import { Button, Checkbox, Group, NumberInput, Select, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';

/** Rooms' and spaces' own periods. */
export function Overrides() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['retention', 'overrides'], queryFn: () => call(api.GET('/retention/overrides')) });
  const policy = useQuery({ queryKey: ['retention', 'policy'], queryFn: () => call(api.GET('/retention/policy')) });
  const [kind, setKind] = useState<string>('room');
  const [id, setId] = useState('');
  const [cls, setCls] = useState<string | null>(null);
  const [days, setDays] = useState<number | ''>(365);
  const [forever, setForever] = useState(false);
  const put = useMutation({
    mutationFn: (v: { kind: string; id: string; set?: { class: string; days: number | null }[]; reset?: string[] }) =>
      call(
        api.PUT('/retention/overrides/{kind}/{id}', {
          params: { path: { kind: v.kind, id: v.id } },
          body: { set: v.set ?? [], reset: v.reset ?? [] },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['retention'] });
    },
  });
  const classes = (policy.data?.classes ?? []).filter((c) => c.per === kind);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!cls) return;
    put.mutate({ kind, id: id.trim(), set: [{ class: cls, days: forever ? null : Number(days) }] });
  };
  return (
    <Stack>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error ?? policy.error} />
      {list.data && (
        <DataTable
          rows={list.data}
          minWidth={600}
          label={t('retention.overrides')}
          rowKey={(o) => `${o.kind}:${o.id}:${o.class}`}
          columns={[
            {
              key: 'scope',
              header: t('retention.scope'),
              render: (o) => (
                <>
                  {o.kind} <code>{o.id}</code>
                </>
              ),
            },
            { key: 'class', header: t('retention.class'), render: (o) => <code>{o.class}</code> },
            {
              key: 'period',
              header: t('retention.period'),
              render: (o) => (o.days === null || o.days === undefined ? t('retention.forever') : `${o.days} ${t('common.days')}`),
            },
            { key: 'updated', header: t('retention.updated'), render: (o) => <DateTime value={o.updated_at} /> },
            {
              key: 'actions',
              header: '',
              render: (o) => (
                <Button size="compact-xs" variant="subtle" onClick={() => put.mutate({ kind: o.kind, id: o.id, reset: [o.class] })}>
                  {t('retention.followPolicy')}
                </Button>
              ),
            },
          ]}
        />
      )}
      <form onSubmit={submit}>
        <Stack gap="xs">
          <Title order={2} size="h4">
            {t('retention.newOverride')}
          </Title>
          <Group align="flex-end" wrap="wrap">
            <Select
              label={t('retention.kind')}
              data={[
                { value: 'room', label: t('retention.room') },
                { value: 'space', label: t('retention.space') },
              ]}
              value={kind}
              onChange={(v) => {
                setKind(v ?? 'room');
                setCls(null);
              }}
              allowDeselect={false}
              w={140}
            />
            <TextInput label={t('retention.scopeId')} required value={id} onChange={(e) => setId(e.currentTarget.value)} w={260} />
            <Select
              label={t('retention.class')}
              required
              data={classes.map((c) => c.class)}
              value={cls}
              onChange={setCls}
              w={220}
            />
            <NumberInput label={t('retention.period')} min={0} value={days} onChange={(v) => setDays(typeof v === 'number' ? v : '')} disabled={forever} w={120} />
            <Checkbox label={t('retention.forever')} checked={forever} onChange={(e) => setForever(e.currentTarget.checked)} mb={8} />
            <Button type="submit" loading={put.isPending} disabled={!cls || !id.trim()}>
              {t('common.save')}
            </Button>
          </Group>
          <ProblemAlert error={put.error} />
        </Stack>
      </form>
    </Stack>
  );
}
