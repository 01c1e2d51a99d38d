using System.Globalization;

namespace Antoum.Isa;

/// <summary>
/// Integer expressions of the assembler: decimal, 0x hex and 0b binary literals (underscores allowed), names of earlier
/// constants and labels, unary minus, + - * / and parentheses. 64-bit checked arithmetic; / truncates toward zero.
/// </summary>
internal ref struct Expression
{
    private readonly string _text;
    private readonly Func<string, long?> _lookup;
    private int _pos;

    private Expression(string text, Func<string, long?> lookup)
    {
        _text = text;
        _lookup = lookup;
        _pos = 0;
    }

    /// <summary>Evaluates <paramref name="text"/>. On failure returns an error with the offset of the offending token.</summary>
    public static (string Expected, int Offset, string Got)? TryEvaluate(string text, Func<string, long?> lookup, out long value)
    {
        var e = new Expression(text, lookup);
        value = 0;
        try
        {
            value = e.ParseSum();
            e.SkipSpace();
            if (e._pos < text.Length)
            {
                return ("expected an operator (+ - * /) or the end of the expression", e._pos, text[e._pos..]);
            }

            return null;
        }
        catch (ExprError err)
        {
            return (err.Message, err.Offset, err.Got);
        }
        catch (OverflowException)
        {
            return ("expected an expression whose value fits in 64 bits", 0, text);
        }
    }

    public static bool IsIdentifierStart(char c)
    {
        return char.IsAsciiLetter(c) || c == '_';
    }

    public static bool IsIdentifierPart(char c)
    {
        return char.IsAsciiLetterOrDigit(c) || c == '_';
    }

    private long ParseSum()
    {
        long v = ParseProduct();
        while (true)
        {
            SkipSpace();
            if (Peek('+'))
            {
                _pos++;
                v = checked(v + ParseProduct());
            }
            else if (Peek('-'))
            {
                _pos++;
                v = checked(v - ParseProduct());
            }
            else
            {
                return v;
            }
        }
    }

    private long ParseProduct()
    {
        long v = ParseUnary();
        while (true)
        {
            SkipSpace();
            if (Peek('*'))
            {
                _pos++;
                v = checked(v * ParseUnary());
            }
            else if (Peek('/'))
            {
                int at = _pos;
                _pos++;
                long d = ParseUnary();
                if (d == 0)
                {
                    throw new ExprError("expected a non-zero divisor", at, _text[at..]);
                }

                v = checked(v / d);
            }
            else
            {
                return v;
            }
        }
    }

    private long ParseUnary()
    {
        SkipSpace();
        if (Peek('-'))
        {
            _pos++;
            return checked(-ParseUnary());
        }

        if (Peek('+'))
        {
            _pos++;
            return ParseUnary();
        }

        return ParseAtom();
    }

    private long ParseAtom()
    {
        SkipSpace();
        int start = _pos;
        if (_pos >= _text.Length)
        {
            throw new ExprError("expected a number, a constant name or '('", start, string.Empty);
        }

        char c = _text[_pos];
        if (c == '(')
        {
            _pos++;
            long v = ParseSum();
            SkipSpace();
            if (!Peek(')'))
            {
                throw new ExprError("expected ')'", _pos, _pos < _text.Length ? _text[_pos..] : string.Empty);
            }

            _pos++;
            return v;
        }

        if (char.IsAsciiDigit(c))
        {
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            string lit = _text[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
            if (TryLiteral(lit, out long value))
            {
                return value;
            }

            throw new ExprError("expected a number (decimal, 0x hex or 0b binary) that fits in 64 bits", start, _text[start.._pos]);
        }

        if (IsIdentifierStart(c))
        {
            while (_pos < _text.Length && IsIdentifierPart(_text[_pos]))
            {
                _pos++;
            }

            string name = _text[start.._pos];
            return _lookup(name) ?? throw new ExprError("expected a constant or label defined earlier", start, name);
        }

        throw new ExprError("expected a number, a constant name or '('", start, _text[start..]);
    }

    private static bool TryLiteral(string lit, out long value)
    {
        value = 0;
        if (lit.Length > 2 && lit[0] == '0' && (lit[1] == 'x' || lit[1] == 'X'))
        {
            return ulong.TryParse(lit.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong u) && (value = (long)u) == value
                && u <= long.MaxValue;
        }

        if (lit.Length > 2 && lit[0] == '0' && (lit[1] == 'b' || lit[1] == 'B'))
        {
            return ulong.TryParse(lit.AsSpan(2), NumberStyles.AllowBinarySpecifier, CultureInfo.InvariantCulture, out ulong u) && u <= long.MaxValue
                && (value = (long)u) == value;
        }

        return long.TryParse(lit, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private readonly bool Peek(char c)
    {
        return _pos < _text.Length && _text[_pos] == c;
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private sealed class ExprError(string message, int offset, string got) : Exception(message)
    {
        public int Offset { get; } = offset;

        public string Got { get; } = got;
    }
}
