import { Alert, Button, Checkbox, Group, NumberInput, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatBytes, formatNumber } from '../../format';
import { ScopeName, ScopeSelect, useScopeNames, type ScopeKind } from './scope';

/**
 * What a proposed override removes in its room or space at the next run, measured there alone
 * (`POST /retention/overrides/{kind}/{id}/preview`): per class of that kind of container, the
 * period that would apply, the items and their size, and what each legal hold keeps back; the
 * class being set is always listed, the others when they have something to say.
 */
export function OverrideImpact({ preview, cls }: { preview: Schemas['RetentionPreview']; cls: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const rows = preview.classes.filter((c) => c.class === cls || c.items > 0 || c.held.length > 0);
  return (
    <Stack gap="xs">
      <Table.ScrollContainer minWidth={460}>
        <Table striped withTableBorder aria-label={t('scopePick.impactTable')} data-testid="override-impact">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('retention.class')}</Table.Th>
              <Table.Th>{t('retention.period')}</Table.Th>
              <Table.Th ta="right">{t('scopePick.removes')}</Table.Th>
              <Table.Th ta="right">{t('retention.bytes')}</Table.Th>
              <Table.Th>{t('retention.held')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.class} data-testid={`override-impact-${c.class}`}>
                <Table.Td>
                  <code>{c.class}</code>
                </Table.Td>
                <Table.Td>{c.days === null || c.days === undefined ? t('retention.forever') : `${formatNumber(c.days, lang)} ${t('common.days')}`}</Table.Td>
                <Table.Td ta="right" data-testid={`override-impact-items-${c.class}`}>
                  {formatNumber(c.items, lang)}
                </Table.Td>
                <Table.Td ta="right">{formatBytes(c.bytes, lang)}</Table.Td>
                <Table.Td data-testid={`override-impact-held-${c.class}`}>
                  {c.held.length === 0
                    ? '—'
                    : c.held.map((h) => (
                        <Text size="xs" key={h.hold_id}>
                          {h.name}: {formatNumber(h.items, lang)}
                        </Text>
                      ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Alert color={preview.items > 0 ? 'orange' : 'blue'} data-testid="override-impact-total">
        {preview.items > 0 ? t('scopePick.willRemove', { n: formatNumber(preview.items, lang) }) : t('scopePick.removesNothing')}
      </Alert>
    </Stack>
  );
}

/** Rooms' and spaces' own periods. */
export function Overrides() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['retention', 'overrides'], queryFn: () => call(api.GET('/retention/overrides')) });
  const policy = useQuery({ queryKey: ['retention', 'policy'], queryFn: () => call(api.GET('/retention/policy')) });
  const names = useScopeNames((list.data ?? []).map((o) => ({ kind: o.kind as ScopeKind, id: o.id })));
  const [kind, setKind] = useState<ScopeKind>('room');
  const [id, setId] = useState<string | null>(null);
  const [cls, setCls] = useState<string | null>(null);
  const [days, setDays] = useState<number | ''>(365);
  const [forever, setForever] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const period = forever ? null : Number(days);
  const impactBody = { set: cls ? [{ class: cls, days: period }] : [], reset: [] };
  const preview = useQuery({
    queryKey: ['retention', 'preview', 'override', kind, id, impactBody],
    enabled: confirming && !!cls && !!id,
    retry: false,
    queryFn: () =>
      call(api.POST('/retention/overrides/{kind}/{id}/preview', { params: { path: { kind, id: id! } }, body: impactBody })),
  });
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
      setConfirming(false);
      void qc.invalidateQueries({ queryKey: ['retention'] });
    },
  });
  const classes = (policy.data?.classes ?? []).filter((c) => c.per === kind);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!cls || !id) return;
    put.reset();
    setConfirming(true);
  };
  // The preview names the room or space when it has something to remove there.
  const measuredName = preview.data?.classes.flatMap((c) => c.containers).find((k) => k.kind === kind && k.id === id)?.name;
  const scopeName = id ? (names(kind, id) ?? measuredName ?? id) : '';
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
              render: (o) => <ScopeName kind={o.kind as ScopeKind} id={o.id} name={names(o.kind as ScopeKind, o.id)} />,
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
                setKind((v as ScopeKind) ?? 'room');
                setId(null);
                setCls(null);
              }}
              allowDeselect={false}
              w={{ base: '100%', sm: 140 }}
            />
            <ScopeSelect kind={kind} label={kind === 'room' ? t('retention.room') : t('retention.space')} value={id} onChange={setId} required />
            <Select label={t('retention.class')} required data={classes.map((c) => c.class)} value={cls} onChange={setCls} w={{ base: '100%', sm: 220 }} />
            <NumberInput label={t('retention.period')} min={0} value={days} onChange={(v) => setDays(typeof v === 'number' ? v : '')} disabled={forever} w={{ base: '100%', sm: 120 }} />
            <Checkbox label={t('retention.forever')} checked={forever} onChange={(e) => setForever(e.currentTarget.checked)} mb={8} />
            <Button type="submit" disabled={!cls || !id || (!forever && days === '')}>
              {t('common.save')}
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            {t('scopePick.hint')}
          </Text>
          {!confirming && <ProblemAlert error={put.error} />}
        </Stack>
      </form>
      {confirming && id && cls && (
        <Confirm
          opened
          color="blue"
          onClose={() => setConfirming(false)}
          title={t('scopePick.confirmTitle', { name: scopeName })}
          confirmLabel={t('common.save')}
          onConfirm={() => put.mutate({ kind, id, set: [{ class: cls, days: period }] })}
          pending={put.isPending}
          error={put.error}
          previewLoading={preview.isFetching}
          previewError={preview.error}
        >
          <Text size="sm">
            {t('scopePick.confirmIntro', {
              cls,
              period: period === null ? t('retention.forever') : `${formatNumber(period, lang)} ${t('common.days')}`,
            })}
          </Text>
          {preview.data && !preview.isFetching && <OverrideImpact preview={preview.data} cls={cls} />}
        </Confirm>
      )}
    </Stack>
  );
}
