using System.Text;
using Antoum.Sim.Config;

namespace Antoum.Sim.Sweep;

/// <summary>CSV text of sweep results (RFC 4180 quoting, '\n' line ends) and its reader.</summary>
public static class SweepCsv
{
    /// <summary>One CSV line (no line end) from fields; a field with a comma, quote or line break is quoted.</summary>
    public static string Line(IReadOnlyList<string> fields)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            string f = fields[i];
            if (f.AsSpan().IndexOfAny(",\"\n\r") >= 0)
            {
                sb.Append('"').Append(f.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                sb.Append(f);
            }
        }

        return sb.ToString();
    }

    /// <summary>Splits one CSV line into fields; null when the line is malformed (an unclosed quote).</summary>
    public static List<string>? Split(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return null;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            sb.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(line[i++]);
                }

                if (i < line.Length && line[i] != ',')
                {
                    return null;
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    sb.Append(line[i++]);
                }
            }

            fields.Add(sb.ToString());
            if (i >= line.Length)
            {
                return fields;
            }

            i++;
        }
    }

    /// <summary>A parsed sweep.csv: header and rows (each row's fields).</summary>
    public sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
    {
        public int Column(string name) => Header.ToList().FindIndex(h => string.Equals(h, name, StringComparison.Ordinal));
    }

    /// <summary>Reads a sweep.csv text; errors name the file and line.</summary>
    public static Table Parse(string text, string file)
    {
        string[] lines = text.Split('\n');
        if (lines.Length == 0 || lines[0].Length == 0)
        {
            throw new UserInputException($"{file}: empty; expected a sweep.csv header line");
        }

        List<string> header = Split(lines[0]) ?? throw new UserInputException($"{file}: line 1: malformed CSV header");
        if (header.Count == 0 || header[0] != "point")
        {
            throw new UserInputException($"{file}: line 1: expected a sweep.csv header starting with \"point\"");
        }

        var rows = new List<IReadOnlyList<string>>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 && i == lines.Length - 1)
            {
                break;
            }

            List<string>? row = Split(lines[i]);
            if (row is null || row.Count != header.Count)
            {
                throw new UserInputException($"{file}: line {i + 1}: expected {header.Count} fields, got {(row is null ? "a malformed line" : row.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            }

            rows.Add(row);
        }

        return new Table(header, rows);
    }
}
