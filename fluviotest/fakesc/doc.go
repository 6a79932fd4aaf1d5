// Package fakesc is an SC that serves the admin API from memory on an
// embedded NATS, through the same bus.Micro adapter and encoding as the
// real SC (sc). It lets client-side tests (the CLI's) check requests,
// outputs and error mapping without the controller, and without
// importing bus themselves.
package fakesc
