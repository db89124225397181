// Time left until `end`, ticking every second.
import { useEffect, useState } from 'react';
import { formatRemaining } from '../api/duration';

export function Countdown({ end }: { end: string | null }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!end) return <span>Permanent</span>;
  const left = new Date(end).getTime() - now;
  return (
    <time dateTime={end} title={new Date(end).toLocaleString()}>
      {left > 0 ? formatRemaining(left) : 'Ended'}
    </time>
  );
}
