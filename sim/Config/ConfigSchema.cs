using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Antoum.Sim.Config;

/// <summary>
/// The shape of the configuration, reflected once from the record tree rooted at <see cref="SimConfig"/>. A property
/// whose type is a <c>*Config</c> record is a section; every other property is a leaf value. Keys are the camelCase
/// property names, matched case-insensitively. Used to reject unknown keys, convert leaf strings with clear messages,
/// list every leaf for provenance and generate the reference doc.
/// </summary>
internal static class ConfigSchema
{
    public static SchemaNode Root { get; } = Build(typeof(SimConfig), string.Empty, string.Empty, null, "Root of the configuration.");

    /// <summary>All leaves in declaration order, depth first.</summary>
    public static IReadOnlyList<SchemaNode> Leaves { get; } = Root.Descendants().Where(n => n.IsLeaf).ToArray();

    /// <summary>Finds a node from a dotted path, case-insensitively; null when any segment is unknown.</summary>
    public static SchemaNode? Find(string dottedPath)
    {
        SchemaNode node = Root;
        foreach (string segment in dottedPath.Split('.'))
        {
            SchemaNode? child = node.FindChild(segment);
            if (child is null)
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    /// <summary>Converts a raw string to a leaf's CLR type; on failure returns false with a message of what was expected.</summary>
    public static bool TryConvert(SchemaNode leaf, string? raw, out object? value, out string problem)
    {
        value = null;
        problem = string.Empty;
        Type t = leaf.Type;
        if (t == typeof(string))
        {
            value = raw ?? string.Empty;
            return true;
        }

        if (t == typeof(int))
        {
            if (int.TryParse(raw?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i))
            {
                value = i;
                return true;
            }

            problem = $"expected an integer, e.g. 32 (got \"{raw}\")";
            return false;
        }

        TypeConverter converter = TypeDescriptor.GetConverter(t);
        try
        {
            value = converter.ConvertFromInvariantString(raw ?? string.Empty);
            return true;
        }
        catch (FormatException ex)
        {
            problem = ex.Message;
            return false;
        }
    }

    /// <summary>Canonical text of a bound leaf value: quantities print with their canonical unit.</summary>
    public static string FormatValue(object? value)
    {
        return value switch
        {
            null => string.Empty,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };
    }

    /// <summary>Reads a leaf's value out of a bound configuration object.</summary>
    public static object? GetValue(SimConfig config, SchemaNode leaf)
    {
        object? current = config;
        foreach (SchemaNode n in leaf.Chain())
        {
            current = n.Property!.GetValue(current);
        }

        return current;
    }

    /// <summary>Kind and units of a leaf for the reference doc.</summary>
    public static string TypeDescription(Type t)
    {
        if (t == typeof(int))
        {
            return "integer";
        }

        if (t == typeof(string))
        {
            return "string";
        }

        PropertyInfo? p = t.GetProperty("UnitDescription", BindingFlags.Public | BindingFlags.Static);
        return p?.GetValue(null) as string ?? t.Name;
    }

    private static SchemaNode Build(Type type, string name, string path, PropertyInfo? property, string description)
    {
        var children = new List<SchemaNode>();
        if (IsSection(type))
        {
            IEnumerable<PropertyInfo> props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true })
                .OrderBy(p => p.MetadataToken);
            foreach (PropertyInfo p in props)
            {
                string key = char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
                string desc = p.GetCustomAttribute<DescriptionAttribute>()?.Description
                    ?? throw new SimInvariantException($"config property {type.Name}.{p.Name} has no [Description]");
                children.Add(Build(p.PropertyType, key, ConfigChecks.Join(path, key), p, desc));
            }
        }

        var node = new SchemaNode(name, path, type, property, description, IsSection(type), children);
        foreach (SchemaNode c in children)
        {
            c.Parent = node;
        }

        return node;
    }

    private static bool IsSection(Type t)
    {
        return t.IsClass && t != typeof(string) && t.Name.EndsWith("Config", StringComparison.Ordinal);
    }
}

/// <summary>One key of the configuration tree: a section or a leaf value.</summary>
internal sealed class SchemaNode
{
    public SchemaNode(string name, string path, Type type, PropertyInfo? property, string description, bool isSection, List<SchemaNode> children)
    {
        Name = name;
        Path = path;
        Type = type;
        Property = property;
        Description = description;
        IsSection = isSection;
        Children = children;
    }

    public string Name { get; }

    public string Path { get; }

    public Type Type { get; }

    public PropertyInfo? Property { get; }

    public string Description { get; }

    public bool IsSection { get; }

    public bool IsLeaf => !IsSection;

    public IReadOnlyList<SchemaNode> Children { get; }

    public SchemaNode? Parent { get; set; }

    public int Depth => Path.Length == 0 ? 0 : Path.Count(c => c == '.') + 1;

    public SchemaNode? FindChild(string key)
    {
        foreach (SchemaNode c in Children)
        {
            if (string.Equals(c.Name, key, StringComparison.OrdinalIgnoreCase))
            {
                return c;
            }
        }

        return null;
    }

    public string ChildList()
    {
        return string.Join(", ", Children.Select(c => c.Name));
    }

    /// <summary>This node and all below it, depth first, in declaration order.</summary>
    public IEnumerable<SchemaNode> Descendants()
    {
        yield return this;
        foreach (SchemaNode c in Children)
        {
            foreach (SchemaNode d in c.Descendants())
            {
                yield return d;
            }
        }
    }

    /// <summary>The nodes from just below the root down to this one.</summary>
    public IEnumerable<SchemaNode> Chain()
    {
        var chain = new Stack<SchemaNode>();
        for (SchemaNode? n = this; n is not null && n.Parent is not null; n = n.Parent)
        {
            chain.Push(n);
        }

        return chain;
    }
}
