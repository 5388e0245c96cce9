import { Alert, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { formatBytes, formatNumber } from '../../format';
import { serverText } from '../../serverText';
import { PersonName } from './PersonName';

/**
 * Who receives what goes to a successor: a person (`person:<id>`) by name, else the company,
 * the assignees or another member of each room, as the server says it.
 */
export function Successor({ to }: { to: string }) {
  const { t } = useTranslation();
  if (to.startsWith('person:')) return <PersonName id={to.slice('person:'.length)} />;
  const known: Record<string, string> = {
    company: t('deletionPreview.toCompany'),
    assignees: t('deletionPreview.toAssignees'),
    'another member of each room': t('deletionPreview.toAnotherMember'),
  };
  return <>{known[to] ?? to}</>;
}

/** A line of the erasure's forecast says something: it removes, keeps or holds anything. */
export function foreseenEventful(l: Schemas['ForeseenLine']): boolean {
  return l.items > 0 || l.bytes > 0 || l.held > 0 || l.kept > 0;
}

/** A stable key (and test id) for one feature's kind of data. */
export function lineKey(l: { feature: string; what: string }): string {
  return `${l.feature}.${l.what}`;
}

/**
 * What deleting a person would do with the choices made, counted by the server now: what goes
 * to successors, what each feature removes, keeps on purpose or a legal hold keeps, the holds
 * naming the person, and the totals.
 */
export function DeletionPreviewView({ preview }: { preview: Schemas['DeletionPreview'] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const n = (v: number) => formatNumber(v, lang);
  const rows = preview.erased.filter(foreseenEventful);
  const quiet = preview.erased.length - rows.length;
  const tot = preview.totals;
  return (
    <Stack gap="xs" data-testid="deletion-preview">
      <Title order={3} size="h5">
        {t('deletionPreview.title')}
      </Title>
      {preview.holds.length > 0 && (
        <Alert color="orange" variant="light" data-testid="deletion-preview-holds" title={t('deletionPreview.holdsTitle')}>
          <Text size="sm">{t('deletionPreview.holds', { names: preview.holds.join(', ') })}</Text>
        </Alert>
      )}
      <Text size="sm" fw={600}>
        {t('deletionPreview.transferred')}
      </Text>
      {preview.transferred.length === 0 ? (
        <Text size="sm">{t('deletionPreview.noTransfer')}</Text>
      ) : (
        <Table.ScrollContainer minWidth={420}>
          <Table striped withTableBorder aria-label={t('deletionPreview.transferred')} data-testid="deletion-preview-transferred">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('deletionPreview.what')}</Table.Th>
                <Table.Th ta="right">{t('deletionPreview.items')}</Table.Th>
                <Table.Th>{t('deletionPreview.to')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.transferred.map((l) => (
                <Table.Tr key={`${lineKey(l)}:${l.to}`} data-testid={`transfer-${lineKey(l)}`}>
                  <Table.Td>
                    {l.what}{' '}
                    <Text span size="xs" c="dimmed">
                      ({serverText(t, 'feature', l.feature)})
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" data-testid={`transfer-items-${lineKey(l)}`}>
                    {n(l.items)}
                  </Table.Td>
                  <Table.Td data-testid={`transfer-to-${lineKey(l)}`}>
                    <Successor to={l.to} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Text size="sm" fw={600}>
        {t('deletionPreview.erased')}
      </Text>
      <Table.ScrollContainer minWidth={520}>
        <Table striped withTableBorder aria-label={t('deletionPreview.erased')} data-testid="deletion-preview-erased">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('deletionPreview.feature')}</Table.Th>
              <Table.Th>{t('deletionPreview.what')}</Table.Th>
              <Table.Th ta="right">{t('deletionPreview.removed')}</Table.Th>
              <Table.Th ta="right">{t('deletionPreview.bytes')}</Table.Th>
              <Table.Th ta="right">{t('deletionPreview.kept')}</Table.Th>
              <Table.Th ta="right">{t('deletionPreview.held')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>{t('common.none')}</Table.Td>
              </Table.Tr>
            )}
            {rows.map((l) => (
              <Table.Tr key={lineKey(l)} data-testid={`erased-${lineKey(l)}`}>
                <Table.Td>{serverText(t, 'feature', l.feature)}</Table.Td>
                <Table.Td>{l.what}</Table.Td>
                <Table.Td ta="right" data-testid={`erased-items-${lineKey(l)}`}>
                  {n(l.items)}
                </Table.Td>
                <Table.Td ta="right">{formatBytes(l.bytes, lang)}</Table.Td>
                <Table.Td ta="right" data-testid={`erased-kept-${lineKey(l)}`}>
                  {n(l.kept)}
                </Table.Td>
                <Table.Td ta="right" data-testid={`erased-held-${lineKey(l)}`}>
                  {n(l.held)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
          <Table.Tfoot>
            <Table.Tr>
              <Table.Th colSpan={2}>{t('deletionPreview.totals')}</Table.Th>
              <Table.Th ta="right" data-testid="erased-items-total">
                {n(tot.items)}
              </Table.Th>
              <Table.Th ta="right">{formatBytes(tot.bytes, lang)}</Table.Th>
              <Table.Th ta="right" data-testid="erased-kept-total">
                {n(tot.kept)}
              </Table.Th>
              <Table.Th ta="right" data-testid="erased-held-total">
                {n(tot.held)}
              </Table.Th>
            </Table.Tr>
          </Table.Tfoot>
        </Table>
      </Table.ScrollContainer>
      {quiet > 0 && (
        <Text size="xs" c="dimmed">
          {t('deletionPreview.quiet', { count: quiet })}
        </Text>
      )}
      <Text size="sm" data-testid="deletion-preview-totals">
        {t('deletionPreview.totalsLine', {
          count: tot.items,
          items: n(tot.items),
          bytes: formatBytes(tot.bytes, lang),
          kept: n(tot.kept),
          held: n(tot.held),
          transferred: n(tot.transferred),
        })}
      </Text>
      <Text size="xs" c="dimmed">
        {t('deletionPreview.notCounted')}
      </Text>
    </Stack>
  );
}
