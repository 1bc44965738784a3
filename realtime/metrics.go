package realtime

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the real-time layer's Prometheus collectors.
type Metrics struct {
	connections *prometheus.GaugeVec
	published   *prometheus.CounterVec
	delivery    prometheus.Histogram
	overflows   prometheus.Counter
	resets      *prometheus.CounterVec
	brokerUp    prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "koe_realtime_connections",
			Help: "Open real-time connections by transport.",
		}, []string{"transport"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_realtime_events_published_total",
			Help: "Events published to streams, by event type.",
		}, []string{"type"}),
		delivery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "koe_realtime_delivery_seconds",
			Help:    "Time from the server accepting a change to the write of its event to a client finishing.",
			Buckets: []float64{.005, .01, .025, .05, .1, .15, .2, .3, .5, 1, 2.5, 5},
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "koe_realtime_queue_overflows_total",
			Help: "Subscriptions reset because the client fell behind the history.",
		}),
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "koe_realtime_resets_total",
			Help: "Reset messages sent to clients, by reason.",
		}, []string{"reason"}),
		brokerUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "koe_realtime_broker_up",
			Help: "1 while the broker between replicas (Redis) is reachable; 0 while degraded. Absent in single-process mode.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.published, m.delivery, m.overflows, m.resets, m.brokerUp)
	}
	return m
}
