import { Alert, Button, Checkbox, Group, NumberInput, Select, Stack, Text, Title } from '@mantine/core';
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
 * What the tenant-wide preview of `cls` at the override's period says about one room or space:
 * its items and bytes, `beyond` when it is not among the listed containers but more exist, or
 * nothing due. (The preview takes a tenant-wide change, not an override; for a room or space
 * without its own period for the class, the change's effect there is the override's.)
 */
export function overrideImpact(
  preview: Schemas['RetentionPreview'],
  kind: string,
  id: string,
  cls: string,
): { items: number; bytes: number } | 'beyond' | null {
  const c = preview.classes.find((x) => x.class === cls);
  if (!c) return null;
  const k = c.containers.find((x) => x.kind === kind && x.id === id);
  if (k) return { items: k.items, bytes: k.bytes };
  if (c.more_containers > 0) return 'beyond';
  return { items: 0, bytes: 0 };
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
  // An override already there for this class: the preview keeps applying it, so it cannot
  // measure the new period.
  const existing = (list.data ?? []).find((o) => o.kind === kind && o.id === id && o.class === cls);
  const impactBody = { set: cls ? [{ class: cls, days: period }] : [], reset: [] };
  const preview = useQuery({
    queryKey: ['retention', 'preview', 'override', impactBody],
    enabled: confirming && !!cls && !existing,
    queryFn: () => call(api.POST('/retention/preview', { body: impactBody })),
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
  const impact = preview.data && id && cls ? overrideImpact(preview.data, kind, id, cls) : null;
  const scopeName = id ? (names(kind, id) ?? id) : '';
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
          previewLoading={!existing && preview.isLoading}
          previewError={existing ? undefined : preview.error}
          consequences={
            impact && impact !== 'beyond'
              ? [
                  { label: t('scopePick.impactItems', { cls }), value: formatNumber(impact.items, lang), testId: 'override-impact-items' },
                  { label: t('scopePick.impactBytes'), value: formatBytes(impact.bytes, lang) },
                ]
              : undefined
          }
        >
          <Text size="sm">
            {t('scopePick.confirmIntro', {
              cls,
              period: period === null ? t('retention.forever') : `${formatNumber(period, lang)} ${t('common.days')}`,
            })}
          </Text>
          {existing && <Alert color="gray">{t('scopePick.cannotMeasure')}</Alert>}
          {impact === 'beyond' && <Alert color="orange">{t('scopePick.beyond')}</Alert>}
          {impact && impact !== 'beyond' && impact.items > 0 && <Alert color="orange">{t('scopePick.willRemove', { n: formatNumber(impact.items, lang) })}</Alert>}
        </Confirm>
      )}
    </Stack>
  );
}
