// Package defaults is wsguard's rule engine: it decides whether an object carries WebSocket
// traffic, which WebSocket-safe defaults it should get and which of its values break WebSockets.
//
// The engine is pure. Evaluate takes an object, the effective Policy and Facts about related
// objects, and returns a Result; it reads no API server, no clock and no globals that change.
// The admission webhooks and the offline CLI are thin adapters around it, so a rule lives here
// and nowhere else.
//
// Objects are handled as unstructured maps and every default is recorded as a JSON-patch
// operation, so fields that the Go types do not know survive untouched.
package defaults
