package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// decodeLenient unmarshals data into v, repairing what Discord-compatible
// servers send differently from Discord: a number sent as a string ("64")
// or an ID sent as a number is converted, and a value of any other wrong
// type is dropped. It returns the fields it repaired ("message.author.
// public_flags") and the error that remains, if any; v holds what could be
// decoded either way.
func decodeLenient(data []byte, v any) (repaired []string, err error) {
	timesDropped := false
	for range 16 {
		err = json.Unmarshal(data, v)
		if err == nil {
			return repaired, nil
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			fixed, ok := repair(data, te)
			if !ok {
				return repaired, err
			}
			repaired = append(repaired, te.Field)
			data = fixed
			continue
		}
		// Not a type: a value its type cannot read, such as a timestamp in
		// another format, which names no field. Drop the timestamps that
		// do not parse, once.
		if timesDropped {
			return repaired, err
		}
		timesDropped = true
		fixed, dropped := dropBadTimes(data)
		if len(dropped) == 0 {
			return repaired, err
		}
		repaired = append(repaired, dropped...)
		data = fixed
	}
	return repaired, err
}

// dropBadTimes removes every timestamp-looking field ("joined_at",
// "timestamp", "premium_since", "…_until") whose value is not an RFC 3339
// time, and names the fields it removed.
func dropBadTimes(data []byte) ([]byte, []string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if dec.Decode(&tree) != nil {
		return nil, nil
	}
	var dropped []string
	walk(tree, func(obj map[string]any) {
		for k, v := range obj {
			if !timeKey(k) || v == nil {
				continue
			}
			if s, ok := v.(string); ok {
				if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
					continue
				}
			}
			delete(obj, k)
			dropped = append(dropped, k)
		}
	})
	if len(dropped) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(tree)
	if err != nil {
		return nil, nil
	}
	return out, dropped
}

// timeKey reports whether a field name is one of a timestamp.
func timeKey(k string) bool {
	return k == "timestamp" || strings.HasSuffix(k, "_timestamp") || strings.HasSuffix(k, "_at") ||
		strings.HasSuffix(k, "_since") || strings.HasSuffix(k, "_until")
}

// repair rewrites every value at the type error's field path: a numeric
// string becomes a number, a number a string, anything else is removed.
func repair(data []byte, te *json.UnmarshalTypeError) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if dec.Decode(&tree) != nil {
		return nil, false
	}
	// The path is relative to the value being decoded when the error came
	// up, which a custom unmarshaler may have started below the root
	// (discordgo decodes an interaction's data on its own), and it names
	// embedded structs that are no JSON keys ("interaction.message.message.
	// author.public_flags"): try its suffixes, longest first, from every
	// object in the tree, until one matches.
	full := strings.Split(te.Field, ".")
	changed := false
	for i := 0; i < len(full) && !changed; i++ {
		walk(tree, func(obj map[string]any) {
			if fixAt(obj, full[i:], te) {
				changed = true
			}
		})
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(tree)
	return out, err == nil
}

// walk calls fn with every object in the tree.
func walk(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, c := range x {
			walk(c, fn)
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}

// fixAt repairs the value at path below obj, through arrays, and reports
// whether anything changed.
func fixAt(obj map[string]any, path []string, te *json.UnmarshalTypeError) bool {
	val, ok := obj[path[0]]
	if !ok {
		return false
	}
	if len(path) > 1 {
		changed := false
		for _, child := range objects(val) {
			if fixAt(child, path[1:], te) {
				changed = true
			}
		}
		return changed
	}
	key := path[0]
	if list, isList := val.([]any); isList && te.Value != "array" {
		// A list where one value was expected, or a list of wrong values.
		changed := false
		for i, el := range list {
			if fixed, keep := convert(el, te); keep {
				if fixed != el {
					list[i], changed = fixed, true
				}
			} else {
				delete(obj, key)
				return true
			}
		}
		return changed
	}
	if fixed, keep := convert(val, te); keep {
		if fixed == val {
			return false
		}
		obj[key] = fixed
		return true
	}
	delete(obj, key)
	return true
}

// convert turns a JSON value into the type the decoder wanted, when that
// can be done without guessing; keep is false when it must be dropped.
func convert(v any, te *json.UnmarshalTypeError) (out any, keep bool) {
	kind := te.Type.Kind().String()
	wantNumber := strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float")
	switch x := v.(type) {
	case string:
		if wantNumber {
			if _, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return json.Number(strings.TrimSpace(x)), true
			}
			return nil, false
		}
		if kind == "bool" {
			if b, err := strconv.ParseBool(x); err == nil {
				return b, true
			}
			return nil, false
		}
		return x, kind == "string"
	case json.Number:
		if kind == "string" {
			return string(x), true
		}
		if kind == "bool" {
			return x != "0", true
		}
		return x, wantNumber
	case bool:
		if kind == "string" {
			return fmt.Sprint(x), true
		}
		return x, kind == "bool"
	}
	return nil, false
}

// objects lists the objects a value holds: itself, or a list's elements.
func objects(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, el := range x {
			if m, ok := el.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}
