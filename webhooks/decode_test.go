package webhooks

import (
	"reflect"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// FuzzDecodeJSONObjectAsApimachinery holds decodeJSONObject to apimachinery's JSON decoding
// (sigs.k8s.io/json, which the webhook used before and the API server's decoder resembles):
// where that gives an object, decodeJSONObject gives the same map, int64 and float64 alike;
// where that fails, decodeJSONObject fails too. The seeds run in `make test`.
func FuzzDecodeJSONObjectAsApimachinery(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`null`,
		`{"a":1,"b":-9223372036854775808,"c":9223372036854775808,"d":1.5,"e":1e3,"f":1.0,"g":-0}`,
		`{"s":"\u00e9\"\\\/\n","t":true,"f":false,"n":null,"l":[1,"x",{"y":[]},[]]}`,
		`{"a":1,"a":2}`,
		"{\"bad\":\"\xff\xfe\"}",
		`{"big":1e400}`,
		` {"spaced" : [ 1 , 2 ] } `,
		`[1,2]`,
		`"text"`,
		`{"a":1} {"b":2}`,
		`{}A`,
		`{"a":1`,
		`{"a":01}`,
		`{a:1}`,
		`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"a\":1}\n"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want map[string]any
		wantErr := utiljson.Unmarshal(raw, &want)
		got, err := decodeJSONObject(raw)
		if wantErr != nil {
			if err == nil {
				t.Fatalf("%q: apimachinery fails (%v), decodeJSONObject gives %v", raw, wantErr, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: decodeJSONObject fails (%v), apimachinery gives %v", raw, err, want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n decodeJSONObject %#v\n apimachinery     %#v", raw, got, want)
		}
	})
}
