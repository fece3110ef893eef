"use client";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

// The dashboard's charts (recharts). Each takes plain rows, so the page decides what to plot.

const palette = ["#4f46e5", "#0891b2", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0d9488", "#64748b"];
const time = (t: number) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function ChartFrame({ title, summary, children }: { title: string; summary: string; children: React.ReactNode }) {
  return (
    <figure className="card card-body" style={{ margin: 0, display: "flex", flexDirection: "column", gap: 8, minWidth: 0 }} aria-label={title}>
      <figcaption style={{ display: "flex", justifyContent: "space-between", gap: 8 }}>
        <h2 style={{ fontSize: 14 }}>{title}</h2>
        <span className="muted small" data-testid="chart-summary">{summary}</span>
      </figcaption>
      <div style={{ width: "100%", height: 220 }}>{children}</div>
    </figure>
  );
}

export function StackedAreaChart({ rows, series, unit }: { rows: Record<string, number>[]; series: string[]; unit: string }) {
  return (
    <ResponsiveContainer>
      <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey="t" tickFormatter={time} fontSize={11} minTickGap={32} />
        <YAxis fontSize={11} allowDecimals />
        <Tooltip labelFormatter={(t) => time(Number(t))} formatter={(v) => [`${Number(v).toFixed(2)} ${unit}`]} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {series.map((s, i) => (
          <Area key={s} type="monotone" dataKey={s} stackId="1" stroke={palette[i % palette.length]} fill={palette[i % palette.length]} fillOpacity={0.25} isAnimationActive={false} />
        ))}
      </AreaChart>
    </ResponsiveContainer>
  );
}

export function LatencyChart({ rows }: { rows: { t: number; p50: number | null; p99: number | null }[] }) {
  return (
    <ResponsiveContainer>
      <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey="t" tickFormatter={time} fontSize={11} minTickGap={32} />
        <YAxis fontSize={11} unit=" ms" width={70} />
        <Tooltip labelFormatter={(t) => time(Number(t))} formatter={(v, name) => [`${v} ms`, name]} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line type="monotone" dataKey="p50" stroke="#4f46e5" dot={false} isAnimationActive={false} connectNulls />
        <Line type="monotone" dataKey="p99" stroke="#d97706" dot={false} isAnimationActive={false} connectNulls />
      </LineChart>
    </ResponsiveContainer>
  );
}

export function RunsByFlowChart({ rows }: { rows: { name: string; succeeded: number; failed: number; retried: number }[] }) {
  return (
    <ResponsiveContainer>
      <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey="name" fontSize={11} interval={0} />
        <YAxis fontSize={11} allowDecimals={false} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="succeeded" fill="#16a34a" isAnimationActive={false} />
        <Bar dataKey="failed" fill="#c0262d" isAnimationActive={false} />
        <Bar dataKey="retried" fill="#d97706" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export function LagChart({ rows }: { rows: { partition: string; lag: number; problem: boolean }[] }) {
  return (
    <ResponsiveContainer>
      <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey="partition" fontSize={11} interval={0} />
        <YAxis fontSize={11} allowDecimals={false} />
        <Tooltip formatter={(v) => [`${v} events waiting`]} labelFormatter={(p) => `partition ${p}`} />
        <Bar dataKey="lag" isAnimationActive={false}>
          {rows.map((r) => <Cell key={r.partition} fill={r.problem ? "#c0262d" : "#4f46e5"} />)}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
