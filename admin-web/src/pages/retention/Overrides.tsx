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

/** A change to one room's or space's period for a class: a number of days, forever, or the policy's. */
export interface Proposal {
  kind: ScopeKind;
  id: string;
  cls: string;
  days: number | null | 'policy';
}

/** The body `PUT /retention/overrides/{kind}/{id}` (and its preview) takes for a proposal. */
export function proposalBody(p: Proposal): Schemas['OverrideInput'] {
  return p.days === 'policy' ? { set: [], reset: [p.cls] } : { set: [{ class: p.cls, days: p.days }], reset: [] };
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
  // The change being confirmed: what the form proposes, or a row going back to the policy.
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const period = forever ? null : Number(days);
  const preview = useQuery({
    queryKey: ['retention', 'preview', 'override', proposal],
    enabled: !!proposal,
    retry: false,
    queryFn: () =>
      call(
        api.POST('/retention/overrides/{kind}/{id}/preview', {
          params: { path: { kind: proposal!.kind, id: proposal!.id } },
          body: proposalBody(proposal!),
        }),
      ),
  });
  const put = useMutation({
    mutationFn: (p: Proposal) =>
      call(
        api.PUT('/retention/overrides/{kind}/{id}', {
          params: { path: { kind: p.kind, id: p.id } },
          body: proposalBody(p),
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      setProposal(null);
      void qc.invalidateQueries({ queryKey: ['retention'] });
    },
  });
  const classes = (policy.data?.classes ?? []).filter((c) => c.per === kind);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!cls || !id) return;
    put.reset();
    setProposal({ kind, id, cls, days: period });
  };
  const confirm = (p: Proposal) => {
    put.reset();
    setProposal(p);
  };
  // The preview names the room or space when it has something to remove there.
  const measuredName = preview.data?.classes.flatMap((c) => c.containers).find((k) => k.kind === proposal?.kind && k.id === proposal?.id)?.name;
  const scopeName = proposal ? (names(proposal.kind, proposal.id) ?? measuredName ?? proposal.id) : '';
  const periodText = (d: number | null) => (d === null ? t('retention.forever') : `${formatNumber(d, lang)} ${t('common.days')}`);
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
              render: (o) => periodText(o.days ?? null),
            },
            { key: 'updated', header: t('retention.updated'), render: (o) => <DateTime value={o.updated_at} /> },
            {
              key: 'actions',
              header: '',
              render: (o) => (
                <Button size="compact-xs" variant="subtle" onClick={() => confirm({ kind: o.kind as ScopeKind, id: o.id, cls: o.class, days: 'policy' })}>
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
          {!proposal && <ProblemAlert error={put.error} />}
        </Stack>
      </form>
      {proposal && (
        <Confirm
          opened
          color="blue"
          onClose={() => setProposal(null)}
          title={proposal.days === 'policy' ? t('scopePick.resetTitle', { name: scopeName }) : t('scopePick.confirmTitle', { name: scopeName })}
          confirmLabel={proposal.days === 'policy' ? t('retention.followPolicy') : t('common.save')}
          onConfirm={() => put.mutate(proposal)}
          pending={put.isPending}
          error={put.error}
          previewLoading={preview.isFetching}
          previewError={preview.error}
        >
          <Text size="sm">
            {proposal.days === 'policy'
              ? t('scopePick.resetIntro', { cls: proposal.cls })
              : t('scopePick.confirmIntro', { cls: proposal.cls, period: periodText(proposal.days) })}
          </Text>
          {preview.data && !preview.isFetching && <OverrideImpact preview={preview.data} cls={proposal.cls} />}
        </Confirm>
      )}
    </Stack>
  );
}
