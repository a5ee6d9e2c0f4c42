import { Tag } from 'antd';
import { useLabels } from './labels';

const KIND_COLORS: Record<string, string> = {
  street: 'red',
  community: 'blue',
  grid: 'green',
  police_area: 'geekblue',
  collection_point: 'cyan',
  department: 'purple',
  service_hall: 'orange',
};

export function kindColor(kind: string): string {
  return KIND_COLORS[kind] ?? 'default';
}

export function KindTag({ kind }: { kind: string }) {
  const labels = useLabels();
  return (
    <Tag color={kindColor(kind)} style={{ marginInlineEnd: 6 }}>
      {labels.kind(kind)}
    </Tag>
  );
}
