import { useTranslation } from 'react-i18next';
import { Page } from '../components/Page';

export function Operator() {
  const { t } = useTranslation();
  return <Page title={t('nav.operator')}>{t('common.soon')}</Page>;
}
