// A page's frame: its heading (the document's h1, and the tab's title) and a short description.
import { makeStyles, Text, tokens } from '@fluentui/react-components';
import { type ReactNode, useEffect } from 'react';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL, maxWidth: '1200px' },
  title: { margin: 0 },
  description: {
    display: 'block',
    marginTop: tokens.spacingVerticalXS,
    color: tokens.colorNeutralForeground2,
  },
});

export function Page({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  const styles = useStyles();
  useEffect(() => {
    document.title = `${title} | JIT Access`;
  }, [title]);
  return (
    <section className={styles.page} aria-labelledby="page-title">
      <div>
        <Text as="h1" id="page-title" size={700} weight="semibold" className={styles.title}>
          {title}
        </Text>
        {description ? (
          <Text as="p" className={styles.description}>
            {description}
          </Text>
        ) : null}
      </div>
      {children}
    </section>
  );
}
