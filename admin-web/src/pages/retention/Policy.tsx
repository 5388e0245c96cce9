import { Alert, Badge, Button, Card, Checkbox, Group, NumberInput, SimpleGrid, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatBytes, formatNumber } from '../../format';

/** A class's period being edited: a number of days, or forever (`null`), or back to the default. */
export type Period = { days: number | null } | 'default';

export interface Draft {
  periods: Record<string, Period>;
  exempt_pinned?: boolean;
  owner_min_days?: number | null;
  confirm_threshold?: number;
}

/** The API input for a draft: only what changed. */
export function toInput(d: Draft): Schemas['PolicyInput'] {
  const set: Schemas['ClassPeriod'][] = [];
  const reset: string[] = [];
  for (const [cls, p] of Object.entries(d.periods)) {
    if (p === 'default') reset.push(cls);
    else set.push({ class: cls, days: p.days });
  }
  const input: Schemas['PolicyInput'] = { set, reset };
  if (d.exempt_pinned !== undefined) input.exempt_pinned = d.exempt_pinned;
  if (d.owner_min_days !== undefined) input.owner_min_days = d.owner_min_days ?? 0;
  if (d.confirm_threshold !== undefined) input.confirm_threshold = d.confirm_threshold;
  return input;
}

/** The preview's classes with something to remove: items, size, age, where (by name) and holds. */
export function PreviewTable({ preview }: { preview: Schemas['RetentionPreview'] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const rows = preview.classes.filter((c) => c.items > 0 || c.held.length > 0);
  return (
    <Stack gap="xs" data-testid="retention-preview">
      <Text fw={600} data-testid="preview-total">
        {t('retention.previewTotal', { count: preview.items, n: formatNumber(preview.items, lang) })}
      </Text>
      <Text size="xs" c="dimmed">
        {t('retention.asOf')} <DateTime value={preview.as_of} />
      </Text>
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('retention.class')}</Table.Th>
                <Table.Th>{t('retention.items')}</Table.Th>
                <Table.Th>{t('retention.bytes')}</Table.Th>
                <Table.Th>{t('retention.oldest')}</Table.Th>
                <Table.Th>{t('retention.where')}</Table.Th>
                <Table.Th>{t('retention.held')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((c) => (
                <Table.Tr key={c.class} data-testid={`preview-${c.class}`}>
                  <Table.Td>
                    <code>{c.class}</code>
                  </Table.Td>
                  <Table.Td data-testid={`preview-items-${c.class}`}>{formatNumber(c.items, lang)}</Table.Td>
                  <Table.Td>{formatBytes(c.bytes, lang)}</Table.Td>
                  <Table.Td>
                    <DateTime value={c.oldest} />
                  </Table.Td>
                  <Table.Td>
                    {c.containers.slice(0, 5).map((k) => (
                      <Text size="xs" key={`${k.kind}:${k.id}`} title={k.id}>
                        {k.name ?? `${t(`retention.${k.kind}`, { defaultValue: k.kind })} ${k.id}`}: {formatNumber(k.items, lang)}
                      </Text>
                    ))}
                    {c.containers.length > 5 || c.more_containers > 0 ? (
                      <Text size="xs" c="dimmed">
                        {t('retention.more', { count: c.containers.length - Math.min(5, c.containers.length) + c.more_containers })}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    {c.held.map((h) => (
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
      )}
    </Stack>
  );
}

export function Policy() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const qc = useQueryClient();
  const policy = useQuery({ queryKey: ['retention', 'policy'], queryFn: () => call(api.GET('/retention/policy')) });
  const [draft, setDraft] = useState<Draft>({ periods: {} });
  const [confirming, setConfirming] = useState(false);
  const input = useMemo(() => toInput(draft), [draft]);
  const [debounced] = useDebouncedValue(input, 400);
  const preview = useQuery({
    queryKey: ['retention', 'preview', debounced],
    queryFn: () => call(api.POST('/retention/preview', { body: debounced })),
    placeholderData: keepPreviousData,
    enabled: !!policy.data,
  });
  const dirty =
    Object.keys(draft.periods).length > 0 ||
    draft.exempt_pinned !== undefined ||
    draft.owner_min_days !== undefined ||
    draft.confirm_threshold !== undefined;
  const fresh = JSON.stringify(debounced) === JSON.stringify(input) && !preview.isFetching;
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/retention/policy', {
          body: { ...input, confirm_items: preview.data?.items ?? 0 },
          headers: idem(),
        }),
      ),
    onSuccess: (p) => {
      qc.setQueryData(['retention', 'policy'], p);
      void qc.invalidateQueries({ queryKey: ['retention', 'preview'] });
      setDraft({ periods: {} });
      setConfirming(false);
      notifications.show({ message: t('common.saved'), color: 'green' });
    },
  });

  if (policy.isLoading) return <Loading />;
  if (policy.error || !policy.data) return <ProblemAlert error={policy.error} />;
  const p = policy.data;

  const periodOf = (c: Schemas['RetentionClass']): { days: number | null; isDefault: boolean } => {
    const d = draft.periods[c.class];
    if (d === 'default') return { days: c.default_days ?? null, isDefault: true };
    if (d) return { days: d.days, isDefault: false };
    return { days: c.days ?? null, isDefault: c.is_default };
  };
  const setPeriod = (cls: string, v: Period | undefined) =>
    setDraft((d) => {
      const periods = { ...d.periods };
      if (v === undefined) delete periods[cls];
      else periods[cls] = v;
      return { ...d, periods };
    });
  const exempt = draft.exempt_pinned ?? p.exempt_pinned;
  const ownerMin = draft.owner_min_days !== undefined ? draft.owner_min_days : (p.owner_min_days ?? null);
  const threshold = draft.confirm_threshold ?? p.confirm_threshold;

  return (
    <Stack>
      <Table.ScrollContainer minWidth={720}>
        <Table striped aria-label={t('retention.policy')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('retention.class')}</Table.Th>
              <Table.Th>{t('retention.period')}</Table.Th>
              <Table.Th>{t('retention.forever')}</Table.Th>
              <Table.Th>{t('retention.default')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {p.classes.map((c) => {
              const cur = periodOf(c);
              return (
                <Table.Tr key={c.class}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      <code>{c.class}</code> <Badge size="xs" variant="outline">{c.feature}</Badge>
                    </Text>
                    <Text size="xs" c="dimmed">
                      {c.description}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <NumberInput
                      aria-label={t('retention.daysFor', { cls: c.class })}
                      min={c.min_days}
                      max={36500}
                      w={120}
                      suffix={` ${t('common.days')}`}
                      value={cur.days ?? ''}
                      disabled={cur.days === null}
                      onChange={(v) => setPeriod(c.class, { days: typeof v === 'number' ? v : Number(v) || c.min_days })}
                      description={c.min_days ? t('retention.min', { n: c.min_days }) : undefined}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Checkbox
                      aria-label={t('retention.foreverFor', { cls: c.class })}
                      checked={cur.days === null}
                      onChange={(e) =>
                        setPeriod(c.class, { days: e.currentTarget.checked ? null : (c.default_days ?? Math.max(c.min_days, 365)) })
                      }
                    />
                  </Table.Td>
                  <Table.Td>
                    {cur.isDefault ? (
                      <Text size="xs">{t('retention.isDefault')}</Text>
                    ) : (
                      <Button size="compact-xs" variant="subtle" onClick={() => setPeriod(c.class, 'default')}>
                        {t('retention.useDefault', {
                          d: c.default_days === null || c.default_days === undefined ? t('retention.forever') : `${c.default_days} ${t('common.days')}`,
                        })}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Switch
          label={t('retention.exemptPinned')}
          checked={exempt}
          onChange={(e) => setDraft({ ...draft, exempt_pinned: e.currentTarget.checked })}
        />
        <NumberInput
          label={t('retention.ownerMin')}
          description={t('retention.ownerMinHint')}
          min={0}
          value={ownerMin ?? 0}
          onChange={(v) => setDraft({ ...draft, owner_min_days: Number(v) || null })}
        />
        <NumberInput
          label={t('retention.threshold')}
          description={t('retention.thresholdHint')}
          min={0}
          value={threshold}
          onChange={(v) => setDraft({ ...draft, confirm_threshold: Number(v) || 0 })}
        />
      </SimpleGrid>
      <Card withBorder>
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={2} size="h4">
              {dirty ? t('retention.previewDraft') : t('retention.previewCurrent')}
            </Title>
            {preview.isFetching && <Loading />}
          </Group>
          <ProblemAlert error={preview.error} />
          {preview.data && <PreviewTable preview={preview.data} />}
        </Stack>
      </Card>
      <ProblemAlert error={save.error} />
      <Group justify="flex-end">
        <Button variant="default" disabled={!dirty} onClick={() => setDraft({ periods: {} })}>
          {t('retention.discard')}
        </Button>
        <Button disabled={!dirty || !fresh || !!preview.error} onClick={() => setConfirming(true)}>
          {t('retention.save')}
        </Button>
      </Group>
      <Confirm
        opened={confirming}
        onClose={() => setConfirming(false)}
        title={t('retention.confirmTitle')}
        confirmLabel={t('retention.save')}
        onConfirm={() => save.mutate()}
        pending={save.isPending}
        error={save.error}
        consequences={preview.data?.classes
          .filter((c) => c.items > 0)
          .map((c) => ({ label: <code>{c.class}</code>, value: formatNumber(c.items, lang), testId: `confirm-items-${c.class}` }))}
      >
        {preview.data && (
          <Alert color={preview.data.items > 0 ? 'orange' : 'blue'}>
            <Text size="sm">{t('retention.confirmIntro', { n: formatNumber(preview.data.items, lang) })}</Text>
          </Alert>
        )}
      </Confirm>
    </Stack>
  );
}
